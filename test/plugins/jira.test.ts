// End to end: the real API, the real host with its BullMQ queues on the test Redis, the jira
// plugin, and the fake Jira REST API, which also sends its own signed webhooks for the moves
// the bot makes (as a registered Jira admin webhook would). Proves the issue's "Must show" list.

import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import {
  buildWebhook,
  type FakeIssue,
  type FakeJira,
  type SignedWebhook,
  sendWebhook,
  startFakeJira,
} from '../fakes/jira/index.js';
import { dbaAndProdRolesYaml, usersWithEmail } from '../support/seed-world.js';
import { startTestStack } from '../support/stack.js';

type Stack = Awaited<ReturnType<typeof startTestStack>>;

const SECRET = 'whsec-e2e-0123456789abcdef';

const ROLES = dbaAndProdRolesYaml('developer');

const USERS = usersWithEmail({
  alice: ['developer'],
  tom: ['prod-requester'],
  bob: ['approver'],
  dave: ['approver'],
  mallory: ['developer'],
});

let jira: FakeJira;
let stack: Stack;
/** The host's JSON log, line by line. */
const logLines: string[] = [];

beforeAll(async () => {
  jira = await startFakeJira();
  jira.addUser({
    accountId: 'bot-1',
    displayName: 'accessbot',
    email: 'accessbot@example.com',
    apiToken: 'bot-token',
  });
  jira.addUser({ accountId: 'acc-alice', displayName: 'Alice', email: 'alice@example.com' });
  jira.addUser({ accountId: 'acc-bob', displayName: 'Bob', email: 'bob@example.com' });
  jira.addUser({ accountId: 'acc-dave', displayName: 'Dave', email: 'dave@example.com' });
  jira.addUser({ accountId: 'acc-mallory', displayName: 'Mallory', email: 'mallory@example.com' });
  // A Jira user with no access user behind them.
  jira.addUser({ accountId: 'acc-eve', displayName: 'Eve', email: 'eve@contractor.example' });
  jira.model.addProject('SEC');
  stack = await startTestStack({
    rolesYaml: ROLES,
    users: USERS,
    plugins: {
      jira: {
        base_url: jira.baseUrl,
        auth: { type: 'basic', email: 'accessbot@example.com', api_token: 'bot-token' },
        project: 'SEC',
        webhook_secret: SECRET,
      },
    },
    delivery: { backoff: '200ms', max_backoff: '2s', attempts: 20 },
    logLevel: 'warn',
    logDestination: logSink(),
  });
  jira.registerWebhook(stack.hookUrl('jira'), SECRET);
}, 60_000);

afterAll(async () => {
  // Let the fake's own webhooks finish before the host goes away under them.
  await jira?.settled();
  await stack?.stop();
  await jira?.stop();
}, 120_000);

function logSink(): PassThrough {
  const sink = new PassThrough();
  let partial = '';
  sink.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    logLines.push(...lines);
  });
  return sink;
}

async function request(user: string, roles: string[], reason: string, extra: { requestTtl?: string } = {}) {
  const client = await stack.clientFor(user);
  return client.createRequest({ roles, reason, ...extra });
}

async function issueFor(id: string): Promise<FakeIssue> {
  return stack.waitFor(
    () => [...jira.model.issues.values()].find((i) => i.labels.includes(`accessbot-${id}`)),
    20_000,
    `the issue of ${id}`,
  );
}

const current = (id: string): Promise<AccessRequest> => stack.adminClient.getRequest(id);
const bodies = (issue: FakeIssue) => issue.comments.map((c) => c.body);

/** Waits until one of the issue's comments contains `text`. */
const commentSeen = (issue: FakeIssue, text: string, what: string) =>
  stack.waitFor(() => bodies(issue).some((b) => b.includes(text)), 20_000, what);

async function send(hook: SignedWebhook) {
  return sendWebhook(stack.hookUrl('jira'), hook);
}

describe('issues from requests', () => {
  it('opens one issue with the reason, and a very long reason stays whole within Jira limits', async () => {
    const reason = `${'needs [x|y] {code} '.repeat(200)}END`.slice(0, 4000);
    const req = await request('alice', ['dba'], reason);
    const issue = await issueFor(req.id);
    expect(issue.projectKey).toBe('SEC');
    expect(issue.summary).toBe('Access request from alice: roles dba');
    expect(issue.description).toContain(`{{${req.id}}}`);
    expect(issue.description).toContain('needs \\[x\\|y\\] \\{code\\}');
    expect(issue.description.length).toBeLessThanOrEqual(32_767);
    expect(issue.description).not.toContain('(truncated)');
    // The property is stored right after the creation call returns.
    await stack.waitFor(() => issue.properties.has('accessbot.request'), 20_000, 'the request property');
    expect(issue.properties.get('accessbot.request')).toEqual({ requestId: req.id, project: 'SEC' });
    expect(
      [...jira.model.issues.values()].filter((i) => i.labels.includes(`accessbot-${req.id}`)),
    ).toHaveLength(1);
  });

  it('retries a failed creation without creating a second issue', async () => {
    // The issue is created, then storing its property fails: the delivery is retried.
    jira.failNextMatching('PUT', /\/properties\//, 503);
    const req = await request('alice', ['dba'], 'retry me');
    const issue = await issueFor(req.id);
    await stack.waitFor(
      () => issue.properties.has('accessbot.request'),
      20_000,
      'the property after the retry',
    );
    expect(
      jira.callsTo('POST', /^\/rest\/api\/2\/issue$/).filter((c) => JSON.stringify(c.body).includes(req.id)),
    ).toHaveLength(1);
    expect(
      [...jira.model.issues.values()].filter((i) => i.labels.includes(`accessbot-${req.id}`)),
    ).toHaveLength(1);
  });

  it('comments each review, and moves the issue to Approved with one resolution comment', async () => {
    const req = await request('alice', ['dba'], 'deploy hotfix');
    const issue = await issueFor(req.id);
    const bob = await stack.clientFor('bob');
    await bob.submitReview(req.id, { proposedState: 'APPROVED', reason: 'ticket OPS-1' });
    await stack.waitFor(() => issue.status.name === 'Approved', 20_000, 'the move to Approved');
    await commentSeen(issue, 'was *approved* by *bob*', 'resolution');
    await commentSeen(issue, '*bob* approved this request', 'review');
    await jira.settled();
    expect(bodies(issue).filter((b) => b.includes('*bob* approved this request'))).toHaveLength(1);
    expect(bodies(issue).filter((b) => b.includes('was *approved*'))).toHaveLength(1);
    expect(issue.histories).toHaveLength(1);
    // The webhook for the bot's own move came back and changed nothing.
    expect(jira.deliveries.some((d) => d.status === 200 && d.hook.rawBody.includes(issue.key))).toBe(true);
    expect((await current(req.id)).reviews).toHaveLength(1);
  });

  it('moves the issue to Denied when the request is denied', async () => {
    const req = await request('alice', ['dba'], 'just curious');
    const issue = await issueFor(req.id);
    const bob = await stack.clientFor('bob');
    await bob.submitReview(req.id, { proposedState: 'DENIED', reason: 'no ticket' });
    await stack.waitFor(() => issue.status.name === 'Denied', 20_000, 'the move to Denied');
    await commentSeen(issue, 'was *denied* by *bob*', 'resolution');
  });

  it('comments once on the issue when the request is deleted', async () => {
    const req = await request('alice', ['dba'], 'changed my mind');
    const issue = await issueFor(req.id);
    await stack.adminClient.deleteRequest(req.id);
    await commentSeen(issue, 'was *withdrawn*: deleted by an administrator', 'the withdrawal comment');
    await new Promise((r) => setTimeout(r, 500));
    expect(bodies(issue).filter((b) => b.includes('*withdrawn*'))).toHaveLength(1);
  });

  it('moves the issue to Expired when the request expires', async () => {
    const req = await request('alice', ['dba'], 'short lived', { requestTtl: '1s' });
    const issue = await issueFor(req.id);
    await stack.waitFor(() => issue.status.name === 'Expired', 40_000, 'the move to Expired');
    await commentSeen(issue, '*expired*', 'expiry comment');
    expect((await current(req.id)).state).toBe('EXPIRED');
  }, 60_000);
});

describe('Jira outages', () => {
  it('rides out 5xx and a 429, waiting out Retry-After, and still opens exactly one issue', async () => {
    await jira.settled();
    const from = jira.calls.length;
    jira.failNext(2, 500);
    jira.failNext(1, 429, 2);
    const req = await request('alice', ['dba'], 'during an outage');
    const issue = await issueFor(req.id);
    await stack.waitFor(() => issue.properties.has('accessbot.request'), 20_000, 'the property');
    const calls = jira.calls.slice(from);
    expect(calls.filter((c) => c.status === 500)).toHaveLength(2);
    const limited = calls.findIndex((c) => c.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    // Nothing was sent to Jira again before the 2 s it asked for had passed.
    expect(calls[limited + 1]!.at - calls[limited]!.at).toBeGreaterThanOrEqual(1900);
    expect(
      [...jira.model.issues.values()].filter((i) => i.labels.includes(`accessbot-${req.id}`)),
    ).toHaveLength(1);
  });
});

describe("Jira's search lags behind creations", () => {
  it('a lost create answer while search lags 3 s → the retry waits for search, one issue', async () => {
    await jira.settled();
    jira.searchLagMs = 3000;
    try {
      jira.loseNextAnswer('POST', /^\/rest\/api\/2\/issue$/);
      const req = await request('alice', ['dba'], 'created, answer lost, search behind');
      const issue = await issueFor(req.id);
      // The retry found the issue (once search showed it) and stored its property.
      await stack.waitFor(() => issue.properties.has('accessbot.request'), 30_000, 'the property');
      const creates = jira
        .callsTo('POST', /^\/rest\/api\/2\/issue$/)
        .filter((c) => JSON.stringify(c.body).includes(req.id));
      expect(creates.map((c) => c.status)).toEqual([504]);
      // Retries searched while the index was behind, and found it only after the lag.
      const searches = jira.callsTo('GET', /\/search/).filter((c) => (c.query.jql ?? '').includes(req.id));
      expect(searches.length).toBeGreaterThanOrEqual(2);
      expect(
        [...jira.model.issues.values()].filter((i) => i.labels.includes(`accessbot-${req.id}`)),
      ).toHaveLength(1);
    } finally {
      jira.searchLagMs = 0;
    }
  });
});

describe('moves on the board are reviews', () => {
  it('approves as the mover with the reason from their comment', async () => {
    const req = await request('alice', ['dba'], 'db migration');
    const issue = await issueFor(req.id);
    jira.comment(issue.key, 'acc-bob', 'Reason: change CHG-42 approved');
    const res = await send(jira.moveIssue(issue.key, 'Approved', 'acc-bob', SECRET));
    expect(res.status).toBe(200);
    const after = await current(req.id);
    expect(after.state).toBe('APPROVED');
    expect(after.reviews).toMatchObject([
      { author: 'bob', proposedState: 'APPROVED', reason: 'change CHG-42 approved' },
    ]);
    await commentSeen(issue, 'was *approved* by *bob*', 'resolution');
    expect(issue.status.name).toBe('Approved');
  });

  it('denies as the mover without a reason comment', async () => {
    const req = await request('alice', ['dba'], 'db migration 2');
    const issue = await issueFor(req.id);
    const res = await send(jira.moveIssue(issue.key, 'Denied', 'acc-bob', SECRET));
    expect(res.status).toBe(200);
    const after = await current(req.id);
    expect(after.state).toBe('DENIED');
    expect(after.reviews).toMatchObject([{ author: 'bob', proposedState: 'DENIED', reason: '' }]);
  });

  it('refuses a move by someone without review rights: comment, and back to Pending', async () => {
    const req = await request('alice', ['dba'], 'please');
    const issue = await issueFor(req.id);
    const res = await send(jira.moveIssue(issue.key, 'Approved', 'acc-mallory', SECRET));
    expect(res.status).toBe(200);
    expect((await current(req.id)).state).toBe('PENDING');
    expect((await current(req.id)).reviews).toHaveLength(0);
    expect(issue.status.name).toBe('Pending');
    const last = bodies(issue).at(-1)!;
    expect(last).toContain('Mallory moved this issue to *Approved*: the review was not recorded');
    expect(last).toContain('may not review');
    expect(last).toContain('back in *Pending*');
  });

  it('tells a mover who maps to no access user, and moves the issue back', async () => {
    const req = await request('alice', ['dba'], 'who is eve');
    const issue = await issueFor(req.id);
    const res = await send(jira.moveIssue(issue.key, 'Approved', 'acc-eve', SECRET));
    expect(res.status).toBe(200);
    expect((await current(req.id)).reviews).toHaveLength(0);
    expect(issue.status.name).toBe('Pending');
    expect(bodies(issue).at(-1)).toContain('Eve could not be matched to an access user');
  });

  it('with a threshold of two, the first move leaves the request pending and says so', async () => {
    const req = await request('tom', ['prod-db'], 'prod fix');
    const issue = await issueFor(req.id);
    const before = bodies(issue).length;
    await send(jira.moveIssue(issue.key, 'Approved', 'acc-bob', SECRET));
    expect((await current(req.id)).state).toBe('PENDING');
    expect(issue.status.name).toBe('Pending');
    // The host's own reply job ("bob approved …") may land before or after this answer: look at
    // every comment the move produced, not only the last.
    const added = bodies(issue).slice(before);
    expect(
      added.filter((b) => b.includes('the approval is recorded; the request stays pending')),
    ).toHaveLength(1);
    await send(jira.moveIssue(issue.key, 'Approved', 'acc-dave', SECRET));
    const after = await current(req.id);
    expect(after.state).toBe('APPROVED');
    expect(after.reviews.map((r) => r.author)).toEqual(['bob', 'dave']);
    expect(issue.status.name).toBe('Approved');
  });
});

describe("moves made with the plugin's own account", () => {
  it('are not reviews, and the answer, the log and the issue say so', async () => {
    const req = await request('alice', ['dba'], 'trying the set-up with the bot account');
    const issue = await issueFor(req.id);
    await jira.settled();
    const res = await send(jira.moveIssue(issue.key, 'Approved', 'bot-1', SECRET));
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.body) as { handled: boolean; why: string };
    expect(answer.handled).toBe(false);
    expect(answer.why).toContain("accessbot's own Jira account");
    expect((await current(req.id)).state).toBe('PENDING');
    expect((await current(req.id)).reviews).toHaveLength(0);
    expect(issue.status.name).toBe('Pending');
    expect(bodies(issue).at(-1)).toContain("made with accessbot's own Jira account");
    const warned = logLines
      .map((l) => JSON.parse(l) as { level: number; msg: string; issue?: string })
      .filter((l) => l.issue === issue.key && l.msg.includes('jira move ignored'));
    expect(warned).toHaveLength(1);
    expect(warned[0]!.level).toBe(40);
  });

  it("the plugin's own moves that keep the issue in step stay quiet", async () => {
    const req = await request('alice', ['dba'], 'quiet sync');
    const issue = await issueFor(req.id);
    const bob = await stack.clientFor('bob');
    await bob.submitReview(req.id, { proposedState: 'APPROVED', reason: 'fine' });
    await stack.waitFor(() => issue.status.name === 'Approved', 20_000, 'the move to Approved');
    await jira.settled();
    const ours = jira.deliveries.filter((d) => d.hook.rawBody.toString('utf8').includes(issue.key));
    expect(ours.length).toBeGreaterThan(0);
    for (const d of ours) expect(d.status).toBe(200);
    expect(logLines.some((l) => l.includes(issue.key) && l.includes('jira move ignored'))).toBe(false);
    expect(bodies(issue).some((b) => b.includes('own Jira account'))).toBe(false);
  });
});

describe('webhook security', () => {
  it('refuses forged and missing signatures with 401 and changes nothing', async () => {
    const req = await request('alice', ['dba'], 'forgery target');
    const issue = await issueFor(req.id);
    const forged = jira.moveIssue(issue.key, 'Approved', 'acc-bob', 'a-guessed-secret-value');
    const callsBefore = jira.calls.length;
    const commentsBefore = issue.comments.length;
    const bad = await send(forged);
    const { 'x-hub-signature': _, ...unsigned } = forged.headers;
    const missing = await send({ headers: unsigned, rawBody: forged.rawBody });
    for (const res of [bad, missing]) {
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'INVALID_SIGNATURE' } });
    }
    const after = await current(req.id);
    expect(after.state).toBe('PENDING');
    expect(after.reviews).toHaveLength(0);
    // Handling a move starts by re-reading the issue with its changelog: that never happened.
    const handling = jira.calls
      .slice(callsBefore)
      .filter((c) => c.query.expand === 'changelog' || (c.method === 'POST' && c.path.includes(issue.key)));
    expect(handling).toHaveLength(0);
    expect(issue.comments.length).toBe(commentsBefore);
  });

  it('ignores a replayed webhook identifier', async () => {
    const req = await request('alice', ['dba'], 'replay target');
    const issue = await issueFor(req.id);
    const hook = jira.moveIssue(issue.key, 'Approved', 'acc-mallory', SECRET);
    const first = await send(hook);
    const commentsAfterFirst = issue.comments.length;
    const replay = await send(hook);
    expect(first.status).toBe(200);
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.body)).toMatchObject({ ignored: 'duplicate delivery' });
    expect(issue.comments.length).toBe(commentsAfterFirst);
  });

  it('ignores a captured delivery replayed under a new identifier (the header is not signed)', async () => {
    const req = await request('alice', ['dba'], 'replay under a new identifier');
    const issue = await issueFor(req.id);
    const captured = jira.moveIssue(issue.key, 'Approved', 'acc-mallory', SECRET);
    expect((await send(captured)).status).toBe(200);
    // The move back to Pending sends the fake's own webhook; let it be handled first.
    await jira.settled();
    const commentsAfterFirst = issue.comments.length;
    const callsAfterFirst = jira.calls.length;
    for (const identifier of ['forged-identifier-1', 'forged-identifier-2']) {
      const replay = await send({
        headers: { ...captured.headers, 'x-atlassian-webhook-identifier': identifier },
        rawBody: captured.rawBody,
      });
      expect(replay.status).toBe(200);
      expect(JSON.parse(replay.body)).toMatchObject({ ignored: 'duplicate delivery' });
    }
    const withoutIdentifier = Object.fromEntries(
      Object.entries(captured.headers).filter(([name]) => name !== 'x-atlassian-webhook-identifier'),
    );
    expect(
      JSON.parse((await send({ headers: withoutIdentifier, rawBody: captured.rawBody })).body),
    ).toMatchObject({
      ignored: 'duplicate delivery',
    });
    // Nothing new on the issue, and the issue was not even read again.
    expect(issue.comments.length).toBe(commentsAfterFirst);
    expect(jira.calls.slice(callsAfterFirst).filter((c) => c.path.includes(issue.key))).toHaveLength(0);
    expect((await current(req.id)).reviews).toHaveLength(0);
  });

  it('refuses a signed delivery whose timestamp is days old (a replay, not a retry)', async () => {
    const req = await request('alice', ['dba'], 'old delivery');
    const issue = await issueFor(req.id);
    const fresh = jira.moveIssue(issue.key, 'Approved', 'acc-bob', SECRET);
    const payload = JSON.parse(fresh.rawBody.toString('utf8')) as { timestamp: number };
    const old = buildWebhook({ ...payload, timestamp: Date.now() - 3 * 24 * 3600 * 1000 }, SECRET);
    const res = await send(old);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'STALE_REQUEST' } });
    expect((await current(req.id)).reviews).toHaveLength(0);
  });
});
