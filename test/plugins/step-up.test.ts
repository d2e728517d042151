// Step-up for sensitive roles, end to end: the real API and host with the slack plugin (real
// @slack/web-api against the fake Slack, clicks signed as Slack signs them) and the email plugin
// (real SMTP server, the review page over HTTP). `prod-db` is in host.step_up_roles: a Slack
// button or a mailed link alone cannot approve it; the same reviewer signed in on the page can.
// Denials stay one click; other roles are untouched.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import emailPlugin from '../../plugins/email/index.js';
import slackPlugin from '../../plugins/slack/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import {
  clickPayload,
  postInteraction,
  signInteraction,
  submitPayload,
} from '../fakes/slack/interactions.js';
import { FakeSlack, type FakeSlackMessage } from '../fakes/slack/server.js';
import { type FakeSmtp, startFakeSmtp } from '../fakes/smtp/server.js';
import { actionOf, Browser, csrfOf } from '../support/form-browser.js';
import { dbaAndProdRolesYaml, usersWithEmail } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const SECRET = 'step-up-signing-secret';
const LINK = /https?:\/\/[^\s"<>]+\/hooks\/email\/review\?t=[A-Za-z0-9_-]{43}/;

let fake: FakeSlack;
let smtp: FakeSmtp;
let stack: TestStack;
let ops: string;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  ops = fake.addChannel('ops');
  for (const [id, name] of [
    ['UTOM', 'tom'],
    ['UBOB', 'bob'],
    ['UALICE', 'alice'],
    ['UDAVE', 'dave'],
  ] as const)
    fake.addUser({ id, name, email: `${name}@example.com` });
  smtp = await startFakeSmtp();
  stack = await startTestStack({
    rolesYaml: dbaAndProdRolesYaml(),
    users: usersWithEmail({
      tom: ['prod-requester'],
      bob: ['requester'],
      alice: ['approver'],
      dave: ['approver'],
    }),
    definitions: new Map([
      ['slack', slackPlugin as unknown as PluginDefinition],
      ['email', emailPlugin as unknown as PluginDefinition],
    ]),
    plugins: {
      slack: { token: fake.botToken, signing_secret: SECRET, api_url: fake.apiUrl },
      email: {
        smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' },
        from: 'accessbot@example.com',
      },
    },
    routing: [
      { roles: ['*'], targets: { slack: ['#ops'], email: ['alice@example.com', 'dave@example.com'] } },
    ],
    stepUpRoles: ['prod-db'],
  });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.stop();
  await smtp?.stop();
});

async function create(user: string, roles: string[], reason: string) {
  return (await stack.clientFor(user)).createRequest({ roles, reason });
}

async function rootOf(requestId: string): Promise<FakeSlackMessage> {
  return stack.waitFor(
    () =>
      fake.rootMessages(ops).find((m) => m.blocks.length > 0 && JSON.stringify(m.blocks).includes(requestId)),
    30_000,
    `the Slack message of ${requestId}`,
  );
}

/** A reviewer clicks a button and submits the dialog; resolves with the ephemeral answer. */
async function click(message: FakeSlackMessage, userId: string, action: 'approve' | 'deny') {
  const url = stack.hookUrl('slack', '/interactions');
  const answered = fake.ephemerals.filter((e) => e.user === userId).length;
  const viewsBefore = fake.views.length;
  const clicked = await postInteraction(
    url,
    signInteraction(SECRET, clickPayload(fake, message, userId, `accessbot_${action}`)),
  );
  expect(clicked.status).toBe(200);
  const opened = await stack.waitFor(
    () => fake.views.slice(viewsBefore).find((v) => v.user === userId),
    15_000,
    'review modal',
  );
  const submit = await postInteraction(
    url,
    signInteraction(SECRET, submitPayload(fake, opened, 'from slack')),
  );
  expect(submit.status).toBe(200);
  return stack.waitFor(
    () => fake.ephemerals.filter((e) => e.user === userId)[answered],
    15_000,
    `ephemeral answer to ${userId}`,
  );
}

const reviewsOf = async (id: string) =>
  (await stack.adminClient.getRequest(id)).reviews.map((r) => [r.author, r.proposedState]);

async function signIn(user: string): Promise<Browser> {
  const { token } = await stack.adminClient.issueToken(user, { description: 'step-up test' });
  const browser = new Browser(stack.host.url);
  const form = await browser.get(`${stack.host.url}/sign-in`);
  const signedIn = await browser.post(actionOf(form.body), { _csrf: csrfOf(form.body), token });
  expect(signedIn.status).toBe(303);
  return browser;
}

describe('step-up roles', { timeout: 90_000 }, () => {
  it('a Slack approval of a step-up role is refused with the sign-in link and records nothing; signed in on the page, the same reviewer approves once', async () => {
    const req = await create('tom', ['prod-db'], 'schema migration');
    const message = await rootOf(req.id);
    const answer = await click(message, 'UALICE', 'approve');
    expect(answer.text).toContain(`${stack.host.url}/sign-in`);
    expect(answer.text).toContain('needs you signed in');
    expect(answer.text).toContain('Nothing was recorded');
    expect(await reviewsOf(req.id)).toEqual([]);

    const browser = await signIn('alice');
    const page = await browser.get(stack.hookUrl('email', `/review?r=${req.id}`));
    expect(page.body).toContain('schema migration');
    const done = await browser.post(actionOf(page.body), { _csrf: csrfOf(page.body), action: 'approve' });
    expect(done.status).toBe(200);
    expect(done.body).toContain('recorded as alice');
    expect(await reviewsOf(req.id)).toEqual([['alice', 'APPROVED']]);
  });

  it('a mailed link alone cannot approve a step-up role (the page asks to sign in, the link stays unused); it can still deny', async () => {
    const req = await create('tom', ['prod-db'], 'reindex');
    const link = await stack.waitFor(
      () =>
        smtp.mails
          .filter((m) => m.to === 'dave@example.com' && m.header('x-accessbot-request') === req.id)
          .map((m) => LINK.exec(m.text)?.[0])
          .find((l) => !!l),
      20_000,
      'the Review link mailed to dave',
    );
    const browser = new Browser(stack.host.url);
    const page = await browser.get(link);
    const approve = await browser.post(actionOf(page.body), { _csrf: csrfOf(page.body), action: 'approve' });
    expect(approve.status).toBe(403);
    expect(approve.body).toContain('Sign in to approve this request');
    expect(approve.body).toContain(`${stack.host.url}/sign-in`);
    expect(await reviewsOf(req.id)).toEqual([]);

    const again = await browser.get(link);
    const deny = await browser.post(actionOf(again.body), { _csrf: csrfOf(again.body), action: 'deny' });
    expect(deny.status).toBe(200);
    expect(await reviewsOf(req.id)).toEqual([['dave', 'DENIED']]);
  });

  it('denials of a step-up role and approvals of other roles stay one click in Slack', async () => {
    const prod = await create('tom', ['prod-db'], 'deny me');
    const denied = await click(await rootOf(prod.id), 'UDAVE', 'deny');
    expect(denied.text).not.toContain('/sign-in');
    expect(await reviewsOf(prod.id)).toEqual([['dave', 'DENIED']]);

    const dba = await create('bob', ['dba'], 'ordinary role');
    const approved = await click(await rootOf(dba.id), 'UALICE', 'approve');
    expect(approved.text).toContain('recorded as alice');
    expect(await reviewsOf(dba.id)).toEqual([['alice', 'APPROVED']]);
  });
});
