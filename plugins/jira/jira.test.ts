// Plugin-level tests: the jira plugin driven through the plugin contract, with the real jira.js
// client talking to the fake Jira REST API, and a hand-built context standing in for the host.

import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PluginError, type PluginInstance } from '../../src/plugin-sdk/index.js';
import { type FakeJira, type SignedWebhook, startFakeJira } from '../../test/fakes/jira/index.js';
import {
  MemoryKv,
  makeCard,
  recordingLog,
  TestDecisions,
  testContext,
} from '../../test/fakes/jira/plugin-context.js';
import { firstTry } from '../../test/fakes/plugin-context.js';
import plugin from './index.js';
import type { IssueRef } from './issues.js';

const SECRET = 'whsec-jira-0123456789abcdef';
let fake: FakeJira;

function rawConfig(over: Record<string, unknown> = {}) {
  return {
    base_url: fake.baseUrl,
    auth: { type: 'basic', email: 'accessbot@example.com', api_token: 'bot-token' },
    project: 'SEC',
    webhook_secret: SECRET,
    ...over,
  };
}

function reviewers() {
  return new TestDecisions([
    { name: 'alice', email: 'alice@example.com', mayReview: true },
    { name: 'bob', email: 'bob@example.com', mayReview: true },
    { name: 'carol', email: 'carol@example.com', mayReview: true },
    { name: 'dave', email: 'dave@example.com', mayReview: true },
    { name: 'mallory', email: 'mallory@example.com', mayReview: false },
  ]);
}

async function instance(decisions = reviewers(), kv = new MemoryKv(), over: Record<string, unknown> = {}) {
  const config = plugin.configSchema.parse(rawConfig(over));
  const inst = await plugin.create(testContext(config, decisions, kv));
  return { inst, decisions, kv };
}

async function post(inst: PluginInstance<IssueRef>, hook: SignedWebhook) {
  const route = inst.routes!()[0]!;
  return route.handler({
    method: 'POST',
    path: '/',
    headers: hook.headers,
    rawBody: hook.rawBody,
    query: {},
  });
}

const target = { id: 'SEC', kind: 'project', audience: 'reviewer' as const };
const issueOf = (key: string) => fake.model.findIssue(key)!;
const commentsOf = (key: string) => issueOf(key).comments.map((c) => c.body);

beforeAll(async () => {
  fake = await startFakeJira();
  fake.addUser({
    accountId: 'bot-1',
    displayName: 'accessbot',
    email: 'accessbot@example.com',
    apiToken: 'bot-token',
  });
  fake.addUser({ accountId: 'acc-alice', displayName: 'Alice', email: 'alice@example.com' });
  fake.addUser({ accountId: 'acc-bob', displayName: 'Bob', email: 'bob@example.com' });
  fake.addUser({ accountId: 'acc-carol', displayName: 'Carol', email: 'carol@example.com', hideEmail: true });
  fake.addUser({ accountId: 'acc-dave', displayName: 'Dave', email: 'dave@example.com' });
  fake.addUser({ accountId: 'acc-mallory', displayName: 'Mallory', email: 'mallory@example.com' });
  fake.model.addProject('SEC');
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  fake.calls.length = 0;
});

describe('config', () => {
  it('refuses a config without a webhook secret unless unsigned webhooks are explicitly allowed', () => {
    const { webhook_secret: _, ...noSecret } = rawConfig();
    const bad = plugin.configSchema.safeParse(noSecret);
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('webhook_secret');
    expect(plugin.configSchema.safeParse({ ...noSecret, allow_unsigned_webhooks: true }).success).toBe(true);
  });
});

describe('health check', () => {
  it('passes with working credentials, permissions and statuses', async () => {
    const { inst } = await instance();
    await expect(inst.healthCheck()).resolves.toBeUndefined();
  });

  it('names the rejected credentials', async () => {
    const { inst } = await instance(undefined, undefined, {
      auth: { type: 'basic', email: 'accessbot@example.com', api_token: 'wrong' },
    });
    const err = await inst.healthCheck().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).kind).toBe('auth');
    expect((err as PluginError).message).toContain('accessbot@example.com');
    expect((err as PluginError).message).not.toContain('wrong');
  });

  it('names the missing permissions and statuses', async () => {
    fake.addUser({
      accountId: 'bot-weak',
      displayName: 'weak bot',
      email: 'weak@example.com',
      apiToken: 'weak-token',
      permissions: ['BROWSE_PROJECTS', 'CREATE_ISSUES'],
    });
    const { inst } = await instance(undefined, undefined, {
      auth: { type: 'basic', email: 'weak@example.com', api_token: 'weak-token' },
      statuses: { approved: 'Granted' },
    });
    const message = await inst.healthCheck().then(
      () => '',
      (e: Error) => e.message,
    );
    expect(message).toContain('ADD_COMMENTS');
    expect(message).toContain('TRANSITION_ISSUES');
    expect(message).toContain('EDIT_ISSUES');
    expect(message).toContain('approved → "Granted"');
  });

  it('names a project it cannot see', async () => {
    const { inst } = await instance(undefined, undefined, { project: 'NOPE' });
    await expect(inst.healthCheck()).rejects.toThrow(/project NOPE/);
  });
});

describe('issues', () => {
  it('creates one issue per request with the request ID on it, user text escaped', async () => {
    const { inst } = await instance();
    const id = randomUUID();
    const card = makeCard({
      requestId: id,
      reason: 'need it [click here|https://evil.example] {html}<b>x</b>{html} [~accountid:acc-bob]',
    });
    const ref = await inst.deliver(target, card, firstTry());
    const issue = issueOf(String(ref.issueKey));
    expect(issue.summary).toBe('Access request from alice: roles db-admin');
    expect(issue.description).toContain('alice (alice@example.com)');
    expect(issue.description).toContain(`*Request ID:* {{${id}}}`);
    expect(issue.description).toContain(`accessbot request review`);
    expect(issue.description).toContain('\\[click here\\|https://evil.example\\]');
    expect(issue.description).toContain('\\{html\\}');
    expect(issue.description).not.toContain('[~accountid:acc-bob]');
    expect(issue.labels).toContain(`accessbot-${id}`);
    expect(issue.properties.get('accessbot.request')).toEqual({ requestId: id, project: 'SEC' });
    expect(fake.calls.every((c) => c.authScheme === 'Basic' && c.accountId === 'bot-1')).toBe(true);
  });

  it('lists resources for a resource request', async () => {
    const { inst } = await instance();
    const card = makeCard({ requestId: randomUUID(), roles: ['access'], resources: ['/prod/node/db-1'] });
    const ref = await inst.deliver(target, card, firstTry());
    expect(issueOf(String(ref.issueKey)).summary).toBe(
      'Access request from alice: resources /prod/node/db-1',
    );
    expect(issueOf(String(ref.issueKey)).description).toContain('*Resources:* /prod/node/db\\-1');
  });

  it('keeps a very long reason within Jira limits and marks the cut', async () => {
    const { inst } = await instance();
    const reason = `${'x'.repeat(40_000)} [end]`;
    const ref = await inst.deliver(
      target,
      makeCard({ requestId: randomUUID(), reason, roles: ['r'.repeat(300)] }),
      firstTry(),
    );
    const issue = issueOf(String(ref.issueKey));
    expect(issue.summary.length).toBeLessThanOrEqual(255);
    expect(issue.description.length).toBeLessThanOrEqual(32_767);
    expect(issue.description).toContain('… (truncated)');
    expect(issue.description).not.toContain('[end]');
  });

  it('does not create a second issue when a delivery is retried', async () => {
    const { inst } = await instance();
    const card = makeCard({ requestId: randomUUID() });
    const before = fake.model.issues.size;
    const first = await inst.deliver(target, card, firstTry());
    const second = await inst.deliver(target, card, firstTry());
    expect(second.issueKey).toBe(first.issueKey);
    expect(fake.model.issues.size).toBe(before + 1);
  });

  it('finds the issue by its label when our own record is gone (another replica, lost kv)', async () => {
    const card = makeCard({ requestId: randomUUID() });
    const one = await instance();
    const first = await one.inst.deliver(target, card, firstTry());
    const before = fake.model.issues.size;
    const other = await instance(undefined, new MemoryKv());
    const second = await other.inst.deliver(target, card, firstTry());
    expect(second.issueKey).toBe(first.issueKey);
    expect(fake.model.issues.size).toBe(before);
  });

  it('finishes a creation whose follow-up call failed, without a duplicate', async () => {
    const { inst } = await instance();
    const card = makeCard({ requestId: randomUUID() });
    const before = fake.model.issues.size;
    fake.failNextMatching('PUT', /\/properties\//, 503);
    const err = await inst.deliver(target, card, firstTry()).catch((e: unknown) => e);
    expect((err as PluginError).kind).toBe('transient');
    const ref = await inst.deliver(target, card, firstTry());
    expect(fake.model.issues.size).toBe(before + 1);
    expect(issueOf(String(ref.issueKey)).properties.get('accessbot.request')).toMatchObject({
      requestId: card.requestId,
    });
  });

  it('turns Jira errors into retry meaning: 429 with Retry-After, 5xx, bad credentials', async () => {
    const { inst } = await instance();
    fake.failNext(1, 429, 7);
    const limited = (await inst
      .deliver(target, makeCard({ requestId: randomUUID() }), firstTry())
      .catch((e) => e)) as PluginError;
    expect(limited.kind).toBe('rate_limited');
    expect(limited.retryAfterMs).toBe(7000);
    fake.failNext(1, 502);
    const down = (await inst
      .deliver(target, makeCard({ requestId: randomUUID() }), firstTry())
      .catch((e) => e)) as PluginError;
    expect(down.kind).toBe('transient');
    const bad = await instance(undefined, undefined, {
      auth: { type: 'basic', email: 'accessbot@example.com', api_token: 'nope' },
    });
    const denied = (await bad.inst
      .deliver(target, makeCard({ requestId: randomUUID() }), firstTry())
      .catch((e) => e)) as PluginError;
    expect(denied.kind).toBe('auth');
    expect(denied.message).toContain('You are not authenticated');
  });

  it('comments each review once, even when a reply is retried after it landed', async () => {
    const { inst } = await instance();
    const card = makeCard({ requestId: randomUUID() });
    const ref = await inst.deliver(target, card, firstTry());
    const review = {
      author: 'bob',
      submittedBy: 'jira',
      decision: 'APPROVED' as const,
      reason: 'looks fine *bold*',
      roles: [],
      created: '2026-01-01T00:00:00Z',
    };
    // The host calls once per review; a retry after a lost answer looks for the comment first.
    const delivery = firstTry();
    await inst.reply!(target, ref, review, card, delivery);
    await inst.reply!(target, ref, review, card, { ...delivery, attempt: 2, mayHaveBeenSent: true });
    await inst.reply!(
      target,
      ref,
      { ...review, author: 'carol', decision: 'DENIED', reason: '' },
      card,
      firstTry(),
    );
    const comments = commentsOf(String(ref.issueKey));
    expect(comments).toHaveLength(2);
    expect(comments[0]).toContain('*bob* approved this request _via jira_');
    expect(comments[0]).toContain('looks fine \\*bold\\*');
    expect(comments[1]).toContain('*carol* denied this request');
    expect(comments[1]).toContain('No reason given.');
  });

  it.each([
    ['APPROVED', 'Approved', 'was *approved* by *bob*'],
    ['DENIED', 'Denied', 'was *denied* by *bob*'],
    ['EXPIRED', 'Expired', '*expired* before it was decided'],
  ] as const)(
    'moves the issue to its status when the request is %s, commenting once',
    async (state, status, words) => {
      const { inst } = await instance();
      const card = makeCard({ requestId: randomUUID() });
      const ref = await inst.deliver(target, card, firstTry());
      const resolved = makeCard({
        requestId: card.requestId,
        version: 3,
        state,
        actions: [],
        resolution: state === 'EXPIRED' ? { state } : { state, by: 'bob', reason: 'ok' },
      });
      await inst.update(target, ref, resolved, firstTry());
      await inst.update(target, ref, resolved, firstTry());
      const issue = issueOf(String(ref.issueKey));
      expect(issue.status.name).toBe(status);
      expect(issue.histories).toHaveLength(1);
      expect(commentsOf(issue.key)).toHaveLength(1);
      expect(commentsOf(issue.key)[0]).toContain(words);
    },
  );
});

describe('races', () => {
  it('treats a transition refused because someone else just made the same move as done', async () => {
    const { inst } = await instance();
    const card = makeCard({ requestId: randomUUID() });
    const ref = await inst.deliver(target, card, firstTry());
    const issue = issueOf(String(ref.issueKey));
    const approved = fake.model.statusesOf(issue).find((s) => s.name === 'Approved')!;
    fake.beforeNext('POST', /\/transitions$/, () => fake.model.setStatus(issue, approved, 'bot-1'));
    const resolved = makeCard({
      requestId: card.requestId,
      state: 'APPROVED',
      resolution: { state: 'APPROVED', by: 'bob' },
    });
    await inst.update(target, ref, resolved, firstTry());
    expect(fake.callsTo('POST', /\/transitions$/).at(-1)?.status).toBe(400);
    expect(issue.status.name).toBe('Approved');
    expect(commentsOf(issue.key)).toHaveLength(1);
  });
});

describe('webhook', () => {
  async function pendingIssue(decisions: TestDecisions, kv: MemoryKv) {
    const { inst } = await instance(decisions, kv);
    const card = makeCard({ requestId: randomUUID() });
    decisions.cards.set(card.requestId, card);
    const ref = await inst.deliver(target, card, firstTry());
    return { inst, card, key: String(ref.issueKey) };
  }

  it('turns a move to Approved into an approval by the mover, without a reason', async () => {
    const decisions = reviewers();
    const { inst, card, key } = await pendingIssue(decisions, new MemoryKv());
    const res = await post(inst, fake.moveIssue(key, 'Approved', 'acc-bob', SECRET));
    expect(res.status).toBe(200);
    expect(decisions.received).toEqual([
      {
        requestId: card.requestId,
        action: 'approve',
        person: { email: 'bob@example.com' },
        personLabel: 'Bob',
      },
    ]);
    expect(decisions.cards.get(card.requestId)?.state).toBe('APPROVED');
    expect(issueOf(key).status.name).toBe('Approved');
  });

  it('takes the reason from the mover’s latest comment with the prefix', async () => {
    const decisions = reviewers();
    const { inst, card, key } = await pendingIssue(decisions, new MemoryKv());
    fake.comment(key, 'acc-bob', 'Reason: an old one');
    fake.comment(key, 'acc-alice', 'Reason: not the mover');
    fake.comment(key, 'acc-bob', 'reason:  not on call, no ticket ');
    fake.comment(key, 'acc-bob', 'a chat comment');
    const res = await post(inst, fake.moveIssue(key, 'Denied', 'acc-bob', SECRET));
    expect(res.status).toBe(200);
    expect(decisions.received[0]).toMatchObject({ action: 'deny', reason: 'not on call, no ticket' });
    expect(decisions.cards.get(card.requestId)?.state).toBe('DENIED');
    expect(issueOf(key).status.name).toBe('Denied');
  });

  it('maps a person whose email Jira hides through their account id', async () => {
    const decisions = reviewers();
    const { inst, key } = await pendingIssue(decisions, new MemoryKv());
    await post(inst, fake.moveIssue(key, 'Approved', 'acc-carol', SECRET));
    expect(decisions.received[0]?.person).toEqual({ trait: 'jira_account_id', value: 'acc-carol' });
  });

  it('refuses a move by someone without review rights: comments why and moves it back', async () => {
    const decisions = reviewers();
    const { inst, card, key } = await pendingIssue(decisions, new MemoryKv());
    const res = await post(inst, fake.moveIssue(key, 'Approved', 'acc-mallory', SECRET));
    expect(res.status).toBe(200);
    expect(decisions.cards.get(card.requestId)?.state).toBe('PENDING');
    expect(issueOf(key).status.name).toBe('Pending');
    const last = commentsOf(key).at(-1)!;
    expect(last).toContain('Mallory moved this issue to *Approved*');
    expect(last).toContain('mallory may not review this request');
    expect(last).toContain('back in *Pending*');
  });

  it('refuses a requester approving their own request', async () => {
    const decisions = reviewers();
    const { inst, key } = await pendingIssue(decisions, new MemoryKv());
    await post(inst, fake.moveIssue(key, 'Approved', 'acc-alice', SECRET));
    expect(issueOf(key).status.name).toBe('Pending');
    expect(commentsOf(key).at(-1)).toContain('you cannot review your own request');
  });

  it('moves a decided request’s issue back when someone moves it to the other outcome', async () => {
    const decisions = reviewers();
    const { inst, key } = await pendingIssue(decisions, new MemoryKv());
    await post(inst, fake.moveIssue(key, 'Approved', 'acc-bob', SECRET));
    await post(inst, fake.moveIssue(key, 'Denied', 'acc-dave', SECRET));
    expect(issueOf(key).status.name).toBe('Approved');
    expect(commentsOf(key).at(-1)).toContain('the request is already APPROVED');
  });

  it('with a threshold of two, the first move leaves the request pending and says so', async () => {
    const decisions = reviewers();
    decisions.approvalsNeeded = 2;
    const { inst, card, key } = await pendingIssue(decisions, new MemoryKv());
    await post(inst, fake.moveIssue(key, 'Approved', 'acc-bob', SECRET));
    expect(decisions.cards.get(card.requestId)?.state).toBe('PENDING');
    expect(issueOf(key).status.name).toBe('Pending');
    expect(commentsOf(key).at(-1)).toContain('the approval is recorded; the request stays pending');
    fake.comment(key, 'acc-dave', 'Reason: second pair of eyes');
    await post(inst, fake.moveIssue(key, 'Approved', 'acc-dave', SECRET));
    expect(decisions.received[1]).toMatchObject({
      person: { email: 'dave@example.com' },
      reason: 'second pair of eyes',
    });
    expect(decisions.cards.get(card.requestId)?.state).toBe('APPROVED');
    expect(issueOf(key).status.name).toBe('Approved');
  });

  it('ignores the moves accessbot itself makes', async () => {
    const decisions = reviewers();
    const { inst, card, key } = await pendingIssue(decisions, new MemoryKv());
    const res = await post(inst, fake.moveIssue(key, 'Approved', 'bot-1', SECRET));
    expect(res.body).toMatchObject({ handled: false, why: 'moved by accessbot' });
    expect(decisions.received).toHaveLength(0);
    expect(decisions.cards.get(card.requestId)?.state).toBe('PENDING');
  });

  it('refuses forged and missing signatures with 401 before touching anything', async () => {
    const decisions = reviewers();
    const kv = new MemoryKv();
    const { inst, key } = await pendingIssue(decisions, kv);
    const kvBefore = new Map(kv.data);
    const hook = fake.moveIssue(key, 'Approved', 'acc-bob', 'not-the-secret-at-all');
    fake.calls.length = 0;
    const forged = await post(inst, hook);
    const { 'x-hub-signature': _, ...unsignedHeaders } = hook.headers;
    const missing = await post(inst, { headers: unsignedHeaders, rawBody: hook.rawBody });
    const tampered = fake.moveIssue(key, 'Denied', 'acc-bob', SECRET);
    const swapped = await post(inst, {
      headers: tampered.headers,
      rawBody: Buffer.from(tampered.rawBody.toString().replace('acc-bob', 'acc-carol')),
    });
    for (const res of [forged, missing, swapped]) {
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'INVALID_SIGNATURE' } });
    }
    expect(decisions.received).toHaveLength(0);
    expect(fake.calls).toHaveLength(0);
    expect(kv.data).toEqual(kvBefore);
  });

  it('ignores a replayed delivery identifier', async () => {
    const decisions = reviewers();
    const { inst, key } = await pendingIssue(decisions, new MemoryKv());
    const hook = fake.moveIssue(key, 'Approved', 'acc-mallory', SECRET);
    const first = await post(inst, hook);
    const commentsAfterFirst = commentsOf(key).length;
    const again = await post(inst, hook);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ ignored: 'duplicate delivery' });
    expect(decisions.received).toHaveLength(1);
    expect(commentsOf(key)).toHaveLength(commentsAfterFirst);
  });

  it('lets Jira retry a delivery that failed on our side', async () => {
    const decisions = reviewers();
    const { inst, card, key } = await pendingIssue(decisions, new MemoryKv());
    const hook = fake.moveIssue(key, 'Approved', 'acc-bob', SECRET);
    fake.failNext(1, 500);
    const failed = await post(inst, hook);
    expect(failed.status).toBe(503);
    expect(decisions.received).toHaveLength(0);
    const retried = await post(inst, hook);
    expect(retried.status).toBe(200);
    expect(decisions.cards.get(card.requestId)?.state).toBe('APPROVED');
  });

  it('answers 400 to a signed body that is not JSON, and ignores events that are not status changes', async () => {
    const { inst } = await instance();
    const { buildWebhook, signJiraWebhook } = await import('../../test/fakes/jira/index.js');
    const raw = Buffer.from('not json');
    const bad = await post(inst, {
      headers: {
        'x-hub-signature': signJiraWebhook(SECRET, raw),
        'x-atlassian-webhook-identifier': randomUUID(),
      },
      rawBody: raw,
    });
    expect(bad.status).toBe(400);
    const other = await post(
      inst,
      buildWebhook({ webhookEvent: 'comment_created', comment: { body: 'hi' } }, SECRET),
    );
    expect(other.body).toMatchObject({ ignored: 'not a status change' });
  });
});

describe('data center and edge cases', () => {
  it('speaks to Data Center with a personal access token (Bearer) and the /search endpoint', async () => {
    fake.addUser({
      accountId: 'bot-dc',
      displayName: 'dc bot',
      email: 'dc-bot@example.com',
      pat: 'pat-0123',
    });
    const { inst } = await instance(undefined, undefined, { auth: { type: 'pat', token: 'pat-0123' } });
    await inst.healthCheck();
    const card = makeCard({ requestId: randomUUID() });
    const first = await inst.deliver(target, card, firstTry());
    const other = await instance(undefined, undefined, { auth: { type: 'pat', token: 'pat-0123' } });
    const second = await other.inst.deliver(target, card, firstTry());
    expect(second.issueKey).toBe(first.issueKey);
    expect(fake.calls.every((c) => c.authScheme === 'Bearer' && c.accountId === 'bot-dc')).toBe(true);
    expect(fake.callsTo('GET', /^\/rest\/api\/2\/search$/)).toHaveLength(2);
    expect(fake.callsTo('GET', /^\/rest\/api\/2\/search\/jql$/)).toHaveLength(0);
  });

  it('credits the announced move even when the issue has more history than one changelog page', async () => {
    const decisions = reviewers();
    const { inst } = await instance(decisions);
    const card = makeCard({ requestId: randomUUID() });
    decisions.cards.set(card.requestId, card);
    const ref = await inst.deliver(target, card, firstTry());
    const issue = issueOf(String(ref.issueKey));
    const [pending, , denied] = fake.model.statusesOf(issue);
    for (let i = 0; i < 60; i++) {
      fake.model.setStatus(issue, denied!, 'acc-dave');
      fake.model.setStatus(issue, pending!, 'acc-dave');
    }
    const hook = fake.moveIssue(issue.key, 'Approved', 'acc-bob', SECRET);
    // Someone else moves it again before the webhook is handled.
    fake.model.setStatus(issue, denied!, 'acc-mallory');
    await post(inst, hook);
    expect(decisions.received).toMatchObject([{ action: 'approve', person: { email: 'bob@example.com' } }]);
    expect(fake.callsTo('POST', /\/changelog\/list$/)).toHaveLength(1);
  });

  it('never puts credentials or the webhook secret in logs or errors', async () => {
    const lines: string[] = [];
    const decisions = reviewers();
    const config = plugin.configSchema.parse(rawConfig());
    const inst = await plugin.create(testContext(config, decisions, new MemoryKv(), recordingLog(lines)));
    const card = makeCard({ requestId: randomUUID() });
    decisions.cards.set(card.requestId, card);
    const ref = await inst.deliver(target, card, firstTry());
    fake.failNext(1, 500);
    await post(inst, fake.moveIssue(String(ref.issueKey), 'Approved', 'acc-bob', SECRET));
    const errors: string[] = [];
    fake.failNext(1, 401);
    // What the host would log: the error with its whole cause chain (pino's errWithCause).
    const logged = (e: Error) => void errors.push(JSON.stringify(pino.stdSerializers.errWithCause(e)));
    await inst.deliver(target, makeCard({ requestId: randomUUID() }), firstTry()).catch(logged);
    const bad = await instance(undefined, undefined, {
      auth: { type: 'basic', email: 'accessbot@example.com', api_token: 'wrong-token-xyz' },
    });
    await bad.inst.healthCheck().catch(logged);
    expect(errors).toHaveLength(2);
    expect(lines.some((l) => l.includes('could not be handled'))).toBe(true);
    const everything = [...lines, ...errors].join('\n');
    const basic = Buffer.from('accessbot@example.com:bot-token').toString('base64');
    for (const secret of ['bot-token', 'wrong-token-xyz', SECRET, basic])
      expect(everything).not.toContain(secret);
  });

  it('ignores moves of issues that accessbot did not create', async () => {
    const decisions = reviewers();
    const { inst } = await instance(decisions);
    const stranger = fake.model.createIssue({
      projectKey: 'SEC',
      issueTypeName: 'Task',
      summary: 'unrelated',
      description: '',
      labels: [],
      reporterId: 'acc-bob',
    });
    const res = await post(inst, fake.moveIssue(stranger.key, 'Approved', 'acc-bob', SECRET));
    expect(res.body).toMatchObject({ handled: false, why: 'not an accessbot issue' });
    expect(decisions.received).toHaveLength(0);
    expect(stranger.comments).toHaveLength(0);
  });

  it('ignores an issue whose property was edited to point at another request', async () => {
    const decisions = reviewers();
    const kv = new MemoryKv();
    const { inst } = await instance(decisions, kv);
    const victim = makeCard({ requestId: randomUUID() });
    decisions.cards.set(victim.requestId, victim);
    await inst.deliver(target, victim, firstTry());
    const decoy = await inst.deliver(target, makeCard({ requestId: randomUUID() }), firstTry());
    issueOf(String(decoy.issueKey)).properties.set('accessbot.request', {
      requestId: victim.requestId,
      project: 'SEC',
    });
    const res = await post(inst, fake.moveIssue(String(decoy.issueKey), 'Approved', 'acc-bob', SECRET));
    expect(res.body).toMatchObject({ handled: false });
    expect(decisions.received).toHaveLength(0);
    expect(decisions.cards.get(victim.requestId)?.state).toBe('PENDING');
  });

  it('accepts unsigned webhooks only when explicitly configured to', async () => {
    const decisions = reviewers();
    const { inst } = await instance(decisions, new MemoryKv(), {
      webhook_secret: undefined,
      allow_unsigned_webhooks: true,
    });
    const card = makeCard({ requestId: randomUUID() });
    decisions.cards.set(card.requestId, card);
    const ref = await inst.deliver(target, card, firstTry());
    const res = await post(inst, fake.moveIssue(String(ref.issueKey), 'Approved', 'acc-bob', null));
    expect(res.status).toBe(200);
    expect(decisions.cards.get(card.requestId)?.state).toBe('APPROVED');
  });

  it('tells an unmapped mover that nobody matched them, and moves the issue back', async () => {
    fake.addUser({ accountId: 'acc-eve', displayName: 'Eve', email: 'eve@elsewhere.example' });
    const decisions = reviewers();
    const { inst } = await instance(decisions);
    const card = makeCard({ requestId: randomUUID() });
    decisions.cards.set(card.requestId, card);
    const ref = await inst.deliver(target, card, firstTry());
    await post(inst, fake.moveIssue(String(ref.issueKey), 'Denied', 'acc-eve', SECRET));
    expect(issueOf(String(ref.issueKey)).status.name).toBe('Pending');
    expect(commentsOf(String(ref.issueKey)).at(-1)).toContain(
      'Eve moved this issue to *Denied*: the review was not recorded',
    );
  });
});
