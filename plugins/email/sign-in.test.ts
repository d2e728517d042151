// Signing in on the review page without a mail link, over HTTP against the whole stack (real
// API, host, Redis, SMTP server): an API token pasted into the form, a one-time login link from
// `accessbot users login-link`, the list of requests, and a decision as the signed-in person.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { runCli } from '../../test/cli/cli-runner.js';
import { type FakeSmtp, startFakeSmtp } from '../../test/fakes/smtp/server.js';
import { actionOf, Browser, csrfOf } from '../../test/support/form-browser.js';
import { DBA_ROLES_YAML, usersWithEmail } from '../../test/support/seed-world.js';
import { startTestStack, type TestStack } from '../../test/support/stack.js';
import emailPlugin from './index.js';

let smtp: FakeSmtp;
let stack: TestStack;
let dir: string;

beforeAll(async () => {
  smtp = await startFakeSmtp({ auth: true });
  stack = await startTestStack({
    rolesYaml: DBA_ROLES_YAML,
    users: usersWithEmail({ rita: ['requester'], alice: ['approver'], bob: ['approver'] }),
    definitions: new Map([['email', emailPlugin as unknown as PluginDefinition]]),
    plugins: {
      email: {
        smtp: {
          host: '127.0.0.1',
          port: smtp.port,
          security: 'none',
          user: smtp.user,
          password: smtp.password,
        },
        from: 'accessbot <accessbot@example.com>',
      },
    },
    routing: [{ roles: ['*'], targets: { email: ['ops@example.com'] } }],
  });
  dir = mkdtempSync(join(tmpdir(), 'accessbot-login-link-'));
});

afterAll(async () => {
  await stack?.stop();
  await smtp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const signInUrl = () => stack.hookUrl('email', '/sign-in');

async function pendingRequest(reason: string) {
  const request = await (await stack.clientFor('rita')).createRequest({ roles: ['dba'], reason });
  // The host reads requests from the stream: the page shows a request once it knows it.
  await stack.waitFor(
    async () => (await stack.hostClient.getRequest(request.id)).state === 'PENDING',
    10_000,
  );
  return request;
}

async function reviewsOf(id: string) {
  return (await stack.adminClient.getRequest(id)).reviews;
}

describe('sign-in on the review page', { timeout: 60_000 }, () => {
  it('a pasted API token signs in; the list links to the review page; Approve is one review as that person', async () => {
    const request = await pendingRequest('sign-in with a token');
    const { token } = await stack.adminClient.issueToken('alice', { description: 'test' });
    const browser = new Browser(stack.host.url);

    const form = await browser.get(signInUrl());
    expect(form.status).toBe(200);
    expect(form.body).toContain('name="token"');
    const signedIn = await browser.post(actionOf(form.body), { _csrf: csrfOf(form.body), token });
    expect(signedIn.status).toBe(303);
    const sessionCookie = signedIn.res.headers.getSetCookie().find((c) => c.startsWith('accessbot_session='));
    expect(sessionCookie).toMatch(/HttpOnly/);
    expect(sessionCookie).toMatch(/Max-Age=900/);
    expect(sessionCookie).toMatch(/SameSite=Lax/);

    const list = await browser.get(signedIn.location ?? '');
    expect(list.status).toBe(200);
    expect(list.body).toContain('Signed in as <strong>alice</strong>');
    const href = new RegExp(`href="([^"]+\\?r=${request.id})"`).exec(list.body)?.[1];
    expect(href, 'the list links to the request').toBeDefined();

    const page = await browser.get(href ?? '');
    expect(page.body).toContain('sign-in with a token');
    const done = await browser.post(actionOf(page.body), {
      _csrf: csrfOf(page.body),
      action: 'approve',
      reason: 'checked on the page',
    });
    expect(done.status).toBe(200);
    expect(done.body).toContain('recorded as alice');
    const reviews = await reviewsOf(request.id);
    expect(reviews.map((r) => [r.author, r.proposedState, r.reason])).toEqual([
      ['alice', 'APPROVED', 'checked on the page'],
    ]);

    // Signing out ends the session on the server: the old cookie, sent again, opens nothing.
    const oldSession = browser.cookie('accessbot_session') ?? '';
    const signOutAction = /<form method="post" action="([^"]+sign-out)"/.exec(done.body)?.[1] ?? '';
    const out = await browser.post(signOutAction, {});
    expect(out.status).toBe(303);
    expect(browser.has('accessbot_session')).toBe(false);
    const replayed = await fetch(stack.hookUrl('email', '/requests'), {
      headers: { cookie: `accessbot_session=${oldSession}` },
      redirect: 'manual',
    });
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get('location')).toContain('/sign-in');
  });

  it('a login link whose token would add cookie attributes is refused and sets no cookie', async () => {
    const res = await fetch(
      `${stack.hookUrl('email', '/sign-in')}?t=${encodeURIComponent('abt_x;Domain=evil.example')}`,
      {
        redirect: 'manual',
      },
    );
    expect(res.status).toBe(400);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('accessbot_login='))).toBe(false);
  });

  it('a bad token, a forged CSRF token or a cross-site form signs nobody in; no session, no decision', async () => {
    const request = await pendingRequest('refused sign-ins');
    const { token } = await stack.adminClient.issueToken('bob', { description: 'test' });
    const browser = new Browser(stack.host.url);
    const form = await browser.get(signInUrl());

    const wrong = await browser.post(actionOf(form.body), {
      _csrf: csrfOf(form.body),
      token: `abt_${'x'.repeat(43)}`,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('That token was not accepted');
    const forged = await browser.post(actionOf(form.body), { _csrf: 'forged', token });
    expect(forged.status).toBe(403);
    const crossSite = await browser.post(
      actionOf(form.body),
      { _csrf: csrfOf(form.body), token },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
    expect(browser.has('accessbot_session')).toBe(false);

    // Without a session, the request's page sends to sign-in and its form decides nothing.
    const page = await browser.open(stack.hookUrl('email', `/review?r=${request.id}`));
    expect(page.status).toBe(303);
    expect(page.location).toContain('/sign-in');
    const post = await browser.post(stack.hookUrl('email', `/review?r=${request.id}`), {
      action: 'approve',
      _csrf: 'x',
    });
    expect(post.status).toBe(401);
    expect(await reviewsOf(request.id)).toEqual([]);
  });

  it('a login link from `accessbot users login-link` signs in once: opening it alone signs nobody in, a second use is refused', async () => {
    const request = await pendingRequest('sign-in with a login link');
    const configFile = join(dir, 'accessbot.yaml');
    writeFileSync(configFile, `host:\n  public_url: ${stack.host.url}\n`);
    const cli = await runCli(['--api', stack.api.url, '--config', configFile, 'users', 'login-link', 'bob'], {
      env: { ACCESSBOT_TOKEN_FILE: stack.api.adminTokenFile },
      cwd: dir,
    });
    expect(cli.stderr).toContain('signs in bob once');
    expect(cli.code).toBe(0);
    const link = cli.stdout.trim();
    expect(link).toMatch(new RegExp(`^${stack.host.url}/sign-in\\?t=abt_[A-Za-z0-9_-]{43}$`));

    // A scanner (GET and HEAD, no cookies kept) opens the link: nobody is signed in.
    expect((await fetch(link, { method: 'HEAD', redirect: 'manual' })).status).toBe(303);
    const scanner = new Browser(stack.host.url);
    const scanned = await scanner.get(link);
    expect(scanned.body).toContain('Continue with the login link');
    expect(scanner.has('accessbot_session')).toBe(false);

    const browser = new Browser(stack.host.url);
    const form = await browser.get(link);
    expect(form.body).not.toContain('name="token"');
    const signedIn = await browser.post(actionOf(form.body), { _csrf: csrfOf(form.body) });
    expect(signedIn.status).toBe(303);
    const list = await browser.get(signedIn.location ?? '');
    expect(list.body).toContain('Signed in as <strong>bob</strong>');
    expect(list.body).toContain(`?r=${request.id}`);

    // The scanner's copy, used after bob: refused; the token pasted: refused too.
    const again = await scanner.post(actionOf(scanned.body), { _csrf: csrfOf(scanned.body) });
    expect(again.status).toBe(401);
    expect(again.body).toContain('That login link is not valid any more');
    expect(scanner.has('accessbot_session')).toBe(false);
    const token = decodeURIComponent(link.split('?t=')[1] ?? '');
    const pasteForm = await scanner.get(signInUrl());
    const pasted = await scanner.post(actionOf(pasteForm.body), { _csrf: csrfOf(pasteForm.body), token });
    expect(pasted.status).toBe(401);
    expect(scanner.has('accessbot_session')).toBe(false);
  });

  it('`users login-link` without host.public_url, or with a --ttl over an hour, is a one-line error and issues nothing', async () => {
    const configFile = join(dir, 'no-public-url.yaml');
    writeFileSync(configFile, 'host:\n  listen: 127.0.0.1:3081\n');
    const cli = await runCli(['--api', stack.api.url, '--config', configFile, 'users', 'login-link', 'bob'], {
      env: { ACCESSBOT_TOKEN_FILE: stack.api.adminTokenFile },
      cwd: dir,
    });
    expect(cli.code).not.toBe(0);
    expect(cli.stderr.trim()).toMatch(/^error \[CONFIG_INVALID\]: host\.public_url is not set/);
    expect(cli.stdout).toBe('');

    const tooLong = await runCli(
      ['--api', stack.api.url, '--config', configFile, 'users', 'login-link', 'bob', '--ttl', '2h'],
      { env: { ACCESSBOT_TOKEN_FILE: stack.api.adminTokenFile }, cwd: dir },
    );
    expect(tooLong.code).not.toBe(0);
    expect(tooLong.stderr.trim()).toMatch(/^error \[BAD_REQUEST\]: --ttl 2h is not 1m to 60m or 1h/);
  });
});
