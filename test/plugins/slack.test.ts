// End to end: the real access API, the real host (BullMQ on the test Redis, inbound server),
// the slack plugin with the real @slack/web-api client, and the fake Slack Web API. Clicks
// come back to the host's /hooks/slack/interactions signed exactly as Slack signs them.
// Proves the "Must show" list.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import slackPlugin from '../../plugins/slack/index.js';
import type { AccessRequest } from '../../src/access/types.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import {
  buttonActionIds,
  clickPayload,
  postInteraction,
  signInteraction,
  submitPayload,
} from '../fakes/slack/interactions.js';
import { FakeSlack, type FakeSlackMessage } from '../fakes/slack/server.js';
import { dbaAndProdRolesYaml, usersWithEmail } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const SECRET = 'e2e-signing-secret';
const REASON_MAX = 120;

const ROLES = dbaAndProdRolesYaml();

const USERS = usersWithEmail({
  bob: ['requester', 'approver'],
  tom: ['prod-requester'],
  alice: ['approver'],
  dave: ['approver'],
  eve: ['requester'],
});

let fake: FakeSlack;
let stack: TestStack;
let ops: string;
let sec: string;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  ops = fake.addChannel('ops');
  sec = fake.addChannel('security');
  for (const [id, name] of [
    ['UBOB', 'bob'],
    ['UTOM', 'tom'],
    ['UALICE', 'alice'],
    ['UDAVE', 'dave'],
    ['UEVE', 'eve'],
  ] as const) {
    fake.addUser({ id, name, email: `${name}@example.com` });
  }
  fake.addUser({ id: 'UGHOST', name: 'ghost', email: 'ghost@example.com' });
  stack = await startTestStack({
    rolesYaml: ROLES,
    users: USERS,
    definitions: new Map([['slack', slackPlugin as unknown as PluginDefinition]]),
    plugins: {
      slack: {
        token: fake.botToken,
        signing_secret: SECRET,
        api_url: fake.apiUrl,
        reason_max_length: REASON_MAX,
      },
    },
    // One channel by name, one by ID.
    routing: [{ roles: ['*'], targets: { slack: ['#ops', sec] } }],
    delivery: { backoff: '100ms', max_backoff: '2s', attempts: 30 },
  });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.stop();
});

const mentions = (m: FakeSlackMessage, requestId: string) =>
  JSON.stringify(m.blocks).includes(requestId) || m.text.includes(requestId);
const rootsOf = (channel: string, requestId: string) =>
  fake.rootMessages(channel).filter((m) => mentions(m, requestId) && m.blocks.length > 0);
const statusOf = (m: FakeSlackMessage) => (m.blocks[0]!.text as { text: string }).text.split('\n')[0];
const texts = (m: FakeSlackMessage) => JSON.stringify(m.blocks);

async function create(user: string, roles: string[], reason: string, extra: { requestTtl?: string } = {}) {
  return (await stack.clientFor(user)).createRequest({ roles, reason, ...extra });
}

/** Waits for the one root message of `requestId` in `channel`. */
async function rootIn(channel: string, requestId: string): Promise<FakeSlackMessage> {
  return stack.waitFor(
    () => rootsOf(channel, requestId)[0],
    30_000,
    `root message of ${requestId} in ${channel}`,
  );
}

async function waitStatus(channel: string, requestId: string, status: string): Promise<FakeSlackMessage> {
  return stack.waitFor(
    () => rootsOf(channel, requestId).find((m) => statusOf(m) === status),
    30_000,
    `${status} in ${channel}`,
  );
}

/** A reviewer clicks a button and submits the dialog; resolves with the ephemeral answer. */
async function review(message: FakeSlackMessage, userId: string, action: 'approve' | 'deny', reason: string) {
  const url = stack.hookUrl('slack', '/interactions');
  const answered = fake.ephemerals.filter((e) => e.user === userId).length;
  const viewsBefore = fake.views.length;
  const click = await postInteraction(
    url,
    signInteraction(SECRET, clickPayload(fake, message, userId, `accessbot_${action}`)),
  );
  expect(click.status).toBe(200);
  const opened = await stack.waitFor(
    () => fake.views.slice(viewsBefore).find((v) => v.user === userId),
    15_000,
    'review modal',
  );
  const submit = await postInteraction(url, signInteraction(SECRET, submitPayload(fake, opened, reason)));
  expect(submit.status).toBe(200);
  const answer = await stack.waitFor(
    () => fake.ephemerals.filter((e) => e.user === userId)[answered],
    15_000,
    `ephemeral answer to ${userId}`,
  );
  return answer;
}

async function current(id: string): Promise<AccessRequest> {
  return stack.adminClient.getRequest(id);
}

describe('delivery', () => {
  it('posts one root message per recipient plus the requester DM, with exact status and a cut reason', async () => {
    const reason = `needs the replica ${'y'.repeat(400)}`;
    const req = await create('bob', ['dba'], reason);
    const inOps = await rootIn(ops, req.id);
    const inSec = await rootIn(sec, req.id);
    const dm = await rootIn(fake.dmChannelOf('UBOB'), req.id);
    expect(statusOf(inOps)).toBe('*⏳ PENDING*');
    expect(statusOf(inSec)).toBe('*⏳ PENDING*');
    expect(statusOf(dm)).toBe('*⏳ PENDING*');
    expect(buttonActionIds(inOps)).toEqual(['accessbot_approve', 'accessbot_deny']);
    expect(buttonActionIds(dm)).toEqual([]);
    const shown = /\*Reason\*\\n([^"]*)"/.exec(texts(inOps))![1]!;
    expect(Array.from(shown)).toHaveLength(REASON_MAX);
    expect(shown.endsWith('… (truncated)')).toBe(true);
    expect(texts(inOps)).toContain(`accessbot request review --approve|--deny ${req.id}`);
    // Give stray duplicates a chance to show up before counting.
    await new Promise((r) => setTimeout(r, 500));
    expect(rootsOf(ops, req.id)).toHaveLength(1);
    expect(rootsOf(sec, req.id)).toHaveLength(1);
    expect(rootsOf(fake.dmChannelOf('UBOB'), req.id)).toHaveLength(1);
  });

  it('20 requests created concurrently → exactly one root message each per channel', async () => {
    const reqs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => create('bob', ['dba'], `burst ${i}`)),
    );
    for (const req of reqs) {
      await rootIn(ops, req.id);
      await rootIn(sec, req.id);
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const req of reqs) {
      expect(rootsOf(ops, req.id)).toHaveLength(1);
      expect(rootsOf(sec, req.id)).toHaveLength(1);
    }
  });

  it('a Slack outage (500s, then 429 with Retry-After) → delivered once Slack recovers, nothing duplicated', async () => {
    fake.failNext(4, { methods: ['chat.postMessage'] });
    fake.rateLimitNext(2, 1, { methods: ['chat.postMessage'] });
    const req = await create('bob', ['dba'], 'during the outage');
    await rootIn(ops, req.id);
    await rootIn(sec, req.id);
    await rootIn(fake.dmChannelOf('UBOB'), req.id);
    const failed = fake.callsTo('chat.postMessage').filter((c) => c.status !== 200);
    expect(failed.filter((c) => c.status === 500).length).toBeGreaterThanOrEqual(4);
    expect(failed.filter((c) => c.status === 429).length).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 1000));
    expect(rootsOf(ops, req.id)).toHaveLength(1);
    expect(rootsOf(sec, req.id)).toHaveLength(1);
    expect(rootsOf(fake.dmChannelOf('UBOB'), req.id)).toHaveLength(1);
  });

  it("Slack's answers lost after the posts landed → the retries find them by delivery id, one message each", async () => {
    const dm = fake.dmChannelOf('UBOB');
    fake.loseNextAnswers(3, { methods: ['chat.postMessage'], channels: [ops, sec, dm] });
    const req = await create('bob', ['dba'], 'answers lost on the way back');
    const inOps = await rootIn(ops, req.id);
    const inSec = await rootIn(sec, req.id);
    const inDm = await rootIn(dm, req.id);
    // Each post landed, its answer was lost, its retry looked it up instead of posting again.
    await stack.waitFor(() => fake.callsTo('conversations.history').length >= 3, 15_000, 'three lookups');
    await new Promise((r) => setTimeout(r, 1000));
    expect(rootsOf(ops, req.id)).toEqual([inOps]);
    expect(rootsOf(sec, req.id)).toEqual([inSec]);
    expect(rootsOf(dm, req.id)).toEqual([inDm]);
    // The host holds the found messages as its refs: a review still edits them.
    await review(inSec, 'UDAVE', 'deny', 'no change window');
    for (const channel of [ops, sec, dm]) await waitStatus(channel, req.id, '*❌ DENIED*');
    expect(rootsOf(ops, req.id)).toHaveLength(1);
  });

  it('a deleted request shows WITHDRAWN in every copy, without buttons', async () => {
    const req = await create('bob', ['dba'], 'no longer needed');
    await rootIn(ops, req.id);
    await rootIn(fake.dmChannelOf('UBOB'), req.id);
    await stack.adminClient.deleteRequest(req.id);
    for (const channel of [ops, sec, fake.dmChannelOf('UBOB')]) {
      const withdrawn = await waitStatus(channel, req.id, '*🗑️ WITHDRAWN*');
      expect(buttonActionIds(withdrawn)).toEqual([]);
      expect(texts(withdrawn)).toContain('no longer needed');
    }
  });

  it('mentions and links in a reason are escaped everywhere', async () => {
    const evil = '<!channel> <!here> <@U123> <https://evil.example|click>';
    const req = await create('bob', ['dba'], evil);
    const inOps = await rootIn(ops, req.id);
    expect(texts(inOps)).toContain(
      '&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt;',
    );
    expect(texts(inOps) + inOps.text).not.toMatch(/<!channel>|<!here>|<@U123>|<https:\/\/evil/);
    await review(inOps, 'UALICE', 'deny', '<!here> see <https://evil.example|this>');
    const reply = await stack.waitFor(() => fake.threadReplies(ops, inOps.ts)[0], 30_000, 'thread reply');
    expect(reply.text).toContain('&lt;!here&gt; see &lt;https://evil.example|this&gt;');
    expect(reply.text).not.toMatch(/<!here>|<https:/);
  });
});

describe('reviews from Slack', () => {
  it('approve: thread reply per review, edits in every channel, buttons gone, requester told', async () => {
    const req = await create('bob', ['dba'], 'rotate keys');
    const inOps = await rootIn(ops, req.id);
    await rootIn(sec, req.id);
    const dm = await rootIn(fake.dmChannelOf('UBOB'), req.id);
    const answer = await review(inOps, 'UALICE', 'approve', 'ticket OPS-7');
    expect(answer.text).toMatch(/^✅ /);
    expect(answer.channel).toBe(ops);
    expect((await current(req.id)).state).toBe('APPROVED');
    for (const channel of [ops, sec]) {
      const approved = await waitStatus(channel, req.id, '*✅ APPROVED*');
      expect(buttonActionIds(approved)).toEqual([]);
      expect(texts(approved)).toContain('*Resolution*\\nApproved by *alice*\\n>ticket OPS-7');
      const replies = await stack.waitFor(
        () =>
          fake.threadReplies(channel, approved.ts).length > 0
            ? fake.threadReplies(channel, approved.ts)
            : null,
        30_000,
        'thread reply',
      );
      expect(replies.map((r) => r.text)).toEqual(['*alice* ✅ approved this request\n>ticket OPS-7']);
    }
    await waitStatus(fake.dmChannelOf('UBOB'), req.id, '*✅ APPROVED*');
    const outcome = await stack.waitFor(
      () => fake.rootMessages('DBOB').find((m) => m.ts !== dm.ts && m.text.includes(req.id)),
      30_000,
      'outcome DM',
    );
    expect(outcome.text).toContain('*✅ APPROVED* Your request for roles dba');
  });

  it('deny edits every copy to DENIED with who and why', async () => {
    const req = await create('bob', ['dba'], 'just because');
    const inSec = await rootIn(sec, req.id);
    await review(inSec, 'UDAVE', 'deny', 'no change window');
    for (const channel of [ops, sec]) {
      const denied = await waitStatus(channel, req.id, '*❌ DENIED*');
      expect(texts(denied)).toContain('Denied by *dave*\\n>no change window');
      expect(buttonActionIds(denied)).toEqual([]);
    }
  });

  it('expiry edits every copy to EXPIRED without buttons', async () => {
    const req = await create('bob', ['dba'], 'short lived', { requestTtl: '2s' });
    await rootIn(ops, req.id);
    for (const channel of [ops, sec]) {
      const expired = await waitStatus(channel, req.id, '*⌛ EXPIRED*');
      expect(buttonActionIds(expired)).toEqual([]);
    }
  }, 60_000);

  it('a threshold of two approvals: the first leaves it pending, the second approves', async () => {
    const req = await create('tom', ['prod-db'], 'migration');
    const inOps = await rootIn(ops, req.id);
    await review(inOps, 'UALICE', 'approve', 'first');
    await stack.waitFor(() => fake.threadReplies(ops, inOps.ts).length === 1, 30_000, 'first reply');
    expect((await current(req.id)).state).toBe('PENDING');
    const still = await stack.waitFor(
      () => rootsOf(ops, req.id).find((m) => texts(m).includes('Reviews: 1 approval')),
      30_000,
      'pending with one approval',
    );
    expect(statusOf(still)).toBe('*⏳ PENDING*');
    expect(buttonActionIds(still)).toEqual(['accessbot_approve', 'accessbot_deny']);
    await review(still, 'UDAVE', 'approve', 'second');
    const approved = await waitStatus(ops, req.id, '*✅ APPROVED*');
    expect(texts(approved)).toContain('Approved by *alice*, *dave*\\n>first; second');
    await stack.waitFor(() => fake.threadReplies(ops, inOps.ts).length === 2, 30_000, 'second reply');
    expect(fake.threadReplies(ops, inOps.ts).map((r) => r.text.split('\n')[0])).toEqual([
      '*alice* ✅ approved this request',
      '*dave* ✅ approved this request',
    ]);
  });
});

describe('refusals', () => {
  it('forged signature, stale or future timestamp → 401, no review', async () => {
    const req = await create('bob', ['dba'], 'forgery target');
    const inOps = await rootIn(ops, req.id);
    const url = stack.hookUrl('slack', '/interactions');
    const viewsBefore = fake.views.length;
    const now = Math.floor(Date.now() / 1000);
    const payload = () => clickPayload(fake, inOps, 'UALICE', 'accessbot_approve');
    for (const [signed, code] of [
      [signInteraction('not-the-secret', payload()), 'INVALID_SIGNATURE'],
      [signInteraction(SECRET, payload(), { timestampSeconds: now - 3600 }), 'STALE_REQUEST'],
      [signInteraction(SECRET, payload(), { timestampSeconds: now + 3600 }), 'STALE_REQUEST'],
    ] as const) {
      const res = await postInteraction(url, signed);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    // A forged modal submission as well: nothing may be decided from it.
    const forged = signInteraction('not-the-secret', {
      type: 'view_submission',
      user: { id: 'UALICE', username: 'alice' },
      view: {
        id: 'VFORGED',
        callback_id: 'accessbot_review',
        private_metadata: JSON.stringify({ r: req.id, a: 'approve', c: ops, t: inOps.ts }),
        state: { values: { reason: { reason: { type: 'plain_text_input', value: 'forged' } } } },
      },
    });
    expect((await postInteraction(url, forged)).status).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.views.length).toBe(viewsBefore);
    const after = await current(req.id);
    expect(after.reviews).toEqual([]);
    expect(after.state).toBe('PENDING');
  });

  it('unknown Slack user, reviewer without the right, own request → ephemeral refusal, no review', async () => {
    const req = await create('bob', ['dba'], 'refusal target');
    const inOps = await rootIn(ops, req.id);
    const ghost = await review(inOps, 'UGHOST', 'approve', 'who am I');
    expect(ghost.text).toMatch(/^⚠️ .*could not be matched to an access user/);
    const eve = await review(inOps, 'UEVE', 'approve', 'I may not');
    expect(eve.text).toMatch(/^⚠️ .*may not review/);
    const own = await review(inOps, 'UBOB', 'approve', 'mine');
    expect(own.text).toMatch(/^⚠️ .*your own request/);
    const after = await current(req.id);
    expect(after.reviews).toEqual([]);
    expect(after.state).toBe('PENDING');
    expect(fake.threadReplies(ops, inOps.ts)).toEqual([]);
  });

  it('a second review by the same person and a click after resolution are refused', async () => {
    const req = await create('tom', ['prod-db'], 'double click');
    const inOps = await rootIn(ops, req.id);
    await review(inOps, 'UALICE', 'approve', 'once');
    const again = await review(inOps, 'UALICE', 'approve', 'twice');
    expect(again.text).toMatch(/^⚠️ .*already reviewed/);
    await review(inOps, 'UDAVE', 'deny', 'no');
    await waitStatus(ops, req.id, '*❌ DENIED*');
    // A stale copy of the message still has buttons (e.g. a client that has not refreshed).
    const url = stack.hookUrl('slack', '/interactions');
    const before = fake.ephemerals.filter((e) => e.user === 'UDAVE').length;
    const viewsBefore = fake.views.length;
    await postInteraction(
      url,
      signInteraction(
        SECRET,
        clickPayload(fake, { ...inOps, blocks: inOps.history[0]!.blocks }, 'UDAVE', 'accessbot_approve'),
      ),
    );
    const late = await stack.waitFor(
      () => fake.ephemerals.filter((e) => e.user === 'UDAVE')[before],
      15_000,
      'late answer',
    );
    expect(late.text).toBe('⚠️ This request is already ❌ DENIED; nothing to review.');
    expect(fake.views.length).toBe(viewsBefore);
    expect((await current(req.id)).reviews).toHaveLength(2);
  });
});
