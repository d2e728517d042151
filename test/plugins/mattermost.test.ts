// End to end: the real access API, the real host (BullMQ on the test Redis, inbound server),
// the mattermost plugin with the real Client4, and the fake Mattermost server. Clicks and dialog
// submissions come back to the host's /hooks/mattermost/… relayed the way the Mattermost server
// relays them (unsigned JSON carrying the stored integration context). Proves the issue's
// "Must show" list.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mattermostPlugin from '../../plugins/mattermost/index.js';
import type { AccessRequest } from '../../src/access/types.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import {
  actionIds,
  actionsOf,
  click,
  clickBody,
  postDirect,
  type RelayAnswer,
  submitDialog,
} from '../fakes/mattermost/interactions.js';
import { FakeMattermost, type FakePost, type OpenedDialog } from '../fakes/mattermost/server.js';
import { dbaAndProdRolesYaml, usersWithEmail } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const SECRET = 'e2e-mattermost-action-secret-0123456789';
const REASON_MAX = 120;
/** The host name Mattermost reaches accessbot by; the fake's DNS maps it to the test host. */
const HOOK_HOST = 'accessbot.test';

const USERS = usersWithEmail({
  bob: ['requester', 'approver'],
  tom: ['prod-requester'],
  alice: ['approver'],
  dave: ['approver'],
  eve: ['requester'],
});

let fake: FakeMattermost;
let stack: TestStack;
let ops: string;
let sec: string;

beforeAll(async () => {
  fake = await new FakeMattermost().start();
  ops = fake.addChannel('acme', 'ops');
  sec = fake.addChannel('acme', 'security', { type: 'P' });
  for (const name of ['bob', 'tom', 'alice', 'dave', 'eve']) fake.addUser(name, `${name}@example.com`);
  fake.addUser('ghost', 'ghost@example.com');
  fake.allowedUntrustedInternalConnections = [HOOK_HOST];
  stack = await startTestStack({
    rolesYaml: dbaAndProdRolesYaml(),
    users: USERS,
    definitions: new Map([['mattermost', mattermostPlugin as unknown as PluginDefinition]]),
    plugins: {
      mattermost: {
        url: fake.url,
        token: fake.token,
        action_secret: SECRET,
        callback_url: `http://${HOOK_HOST}/hooks/mattermost`,
        reason_max_length: REASON_MAX,
      },
    },
    // One channel by team/name, one by id.
    routing: [{ roles: ['*'], targets: { mattermost: ['acme/ops', sec] } }],
    delivery: { backoff: '100ms', max_backoff: '2s', attempts: 30 },
  });
  fake.mapHost(HOOK_HOST, stack.host.url);
});

afterAll(async () => {
  await stack?.stop();
  await fake?.stop();
});

type Json = Record<string, unknown>;
const attachmentOf = (p: FakePost) => ((p.props.attachments as Json[] | undefined) ?? [])[0] ?? {};
const fieldsOf = (p: FakePost) =>
  Object.fromEntries(((attachmentOf(p).fields as Json[]) ?? []).map((f) => [f.title, String(f.value)]));
const rootsOf = (channel: string, requestId: string) =>
  fake.rootPosts(channel).filter((p) => p.props.accessbot_request_id === requestId);
const statusOf = (p: FakePost) => /^\*\*(.+?)\*\*/.exec(p.message)?.[1];
const dmOf = (username: string) => fake.directChannelOf(fake.userByName(username).id);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function create(user: string, roles: string[], reason: string, extra: Json = {}) {
  return (await stack.clientFor(user)).createRequest({ roles, reason, ...extra });
}

async function rootIn(channel: string | (() => string | undefined), requestId: string): Promise<FakePost> {
  return stack.waitFor(
    () => {
      const id = typeof channel === 'string' ? channel : channel();
      return id ? rootsOf(id, requestId)[0] : undefined;
    },
    30_000,
    `root post of ${requestId}`,
  );
}

async function waitStatus(channel: string, requestId: string, status: string): Promise<FakePost> {
  return stack.waitFor(
    () => rootsOf(channel, requestId).find((p) => statusOf(p) === status),
    30_000,
    `${status} in ${channel}`,
  );
}

/** `username` clicks `action` on `post`; resolves with the click's answer and the dialog it opened. */
async function clickFor(post: FakePost, username: string, action: 'approve' | 'deny') {
  const before = fake.dialogs.length;
  const answer = await click(fake, fake.postById(post.id)!, username, action);
  const dialog = fake.dialogs.slice(before).find((d) => d.userId === fake.userByName(username).id);
  return { answer, dialog };
}

/** A reviewer clicks a button and submits the dialog with `reason`. */
async function review(
  post: FakePost,
  username: string,
  action: 'approve' | 'deny',
  reason: string,
): Promise<{ dialog: OpenedDialog; submit: RelayAnswer }> {
  const { answer, dialog } = await clickFor(post, username, action);
  expect(answer.status).toBe(200);
  expect(dialog, `a dialog for ${username}`).toBeDefined();
  const submit = await submitDialog(fake, dialog!, username, { reason });
  return { dialog: dialog!, submit };
}

const current = (id: string): Promise<AccessRequest> => stack.adminClient.getRequest(id);

describe('delivery', () => {
  it('posts to a team/channel name, a channel id and the requester DM, with status, colour and a cut reason', async () => {
    const reason = `needs the replica ${'y'.repeat(400)}`;
    const req = await create('bob', ['dba'], reason);
    const inOps = await rootIn(ops, req.id);
    const inSec = await rootIn(sec, req.id);
    const dm = await rootIn(() => dmOf('bob'), req.id);
    for (const p of [inOps, inSec]) {
      expect(statusOf(p)).toBe('⏳ PENDING');
      expect(p.message).toContain('Access request from **bob** for roles dba');
      expect(attachmentOf(p).color).toBe('#f2c744');
      expect(actionIds(p)).toEqual(['approve', 'deny']);
      for (const id of actionIds(p)) expect(id).toMatch(/^[a-zA-Z0-9]+$/);
    }
    expect(statusOf(dm)).toBe('⏳ PENDING');
    expect(dm.message).toContain('Your access request for roles dba');
    expect(actionIds(dm)).toEqual([]);
    // What a reader sees: the escapes rendered away.
    const shown = fieldsOf(inOps).Reason!.replace(/\\(.)/g, '$1');
    expect(Array.from(shown)).toHaveLength(REASON_MAX);
    expect(shown.endsWith('… (truncated)')).toBe(true);
    // Inside code, markdown escapes would show as typed: the id is shown as it is.
    expect(fieldsOf(inOps)['Request ID']).toBe(`\`${req.id}\``);
    expect(attachmentOf(inOps).footer).toBe(
      `Review from the CLI: accessbot request review --approve|--deny ${req.id}`,
    );
    // The DM is the direct channel between the bot and bob.
    expect([...fake.channels.get(dm.channel_id)!.members].sort()).toEqual(
      [fake.bot.id, fake.userByName('bob').id].sort(),
    );
    await pause(500);
    expect(rootsOf(ops, req.id)).toHaveLength(1);
    expect(rootsOf(sec, req.id)).toHaveLength(1);
    expect(rootsOf(dm.channel_id, req.id)).toHaveLength(1);
  });

  it('a suggested reviewer gets a DM with buttons, and may decide from it', async () => {
    const req = await create('bob', ['dba'], 'ask alice', { suggestedReviewers: ['alice'] });
    const dm = await rootIn(() => dmOf('alice'), req.id);
    expect(actionIds(dm)).toEqual(['approve', 'deny']);
    const { submit } = await review(dm, 'alice', 'approve', 'from my DM');
    expect(submit).toMatchObject({ status: 200, shown: '' });
    const approved = await waitStatus(dm.channel_id, req.id, '✅ APPROVED');
    expect(actionIds(approved)).toEqual([]);
    expect((await current(req.id)).reviews.map((r) => r.author)).toEqual(['alice']);
  });

  it('20 requests created concurrently → exactly one root post each per target', async () => {
    const reqs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => create('bob', ['dba'], `burst ${i}`)),
    );
    for (const req of reqs) {
      await rootIn(ops, req.id);
      await rootIn(sec, req.id);
      await rootIn(() => dmOf('bob'), req.id);
    }
    await pause(500);
    for (const req of reqs) {
      expect(rootsOf(ops, req.id)).toHaveLength(1);
      expect(rootsOf(sec, req.id)).toHaveLength(1);
      expect(rootsOf(dmOf('bob')!, req.id)).toHaveLength(1);
    }
  });

  it('an outage (5xx, then 429 as text/plain) → delivered once Mattermost recovers, the wait honoured, nothing duplicated', async () => {
    fake.failNext(3, { ops: ['createPost'] });
    fake.failNext(1, { ops: ['createPost'], status: 503 });
    // The limiter's own headers: X-Ratelimit-Reset alone once, then with Retry-After.
    fake.rateLimitNext(1, 1, { ops: ['createPost'], retryAfterHeader: false });
    fake.rateLimitNext(1, 1, { ops: ['createPost'] });
    const req = await create('bob', ['dba'], 'during the outage');
    await rootIn(ops, req.id);
    await rootIn(sec, req.id);
    await rootIn(() => dmOf('bob'), req.id);
    const calls = fake.callsTo('createPost');
    expect(calls.filter((c) => c.status >= 500).length).toBeGreaterThanOrEqual(4);
    const limited = calls.filter((c) => c.status === 429);
    expect(limited).toHaveLength(2);
    // Each rate-limited post was tried again only after the second Mattermost asked for.
    for (const hit of limited) {
      const next = calls.find((c) => c.at > hit.at && c.channel === hit.channel);
      expect(next, `a retry into ${hit.channel}`).toBeDefined();
      expect(next!.at - hit.at).toBeGreaterThanOrEqual(900);
    }
    await pause(1000);
    expect(rootsOf(ops, req.id)).toHaveLength(1);
    expect(rootsOf(sec, req.id)).toHaveLength(1);
    expect(rootsOf(dmOf('bob')!, req.id)).toHaveLength(1);
  });

  it("Mattermost's answers lost after the posts landed → the retries find them by delivery id, one post each", async () => {
    const dm = dmOf('bob')!;
    const lookupsBefore = fake.callsTo('getPosts').length;
    fake.loseNextAnswers(3, { channels: [ops, sec, dm] });
    const req = await create('bob', ['dba'], 'answers lost on the way back');
    const inOps = await rootIn(ops, req.id);
    const inSec = await rootIn(sec, req.id);
    const inDm = await rootIn(dm, req.id);
    await stack.waitFor(() => fake.callsTo('getPosts').length >= lookupsBefore + 3, 15_000, 'three lookups');
    await pause(1000);
    expect(rootsOf(ops, req.id).map((p) => p.id)).toEqual([inOps.id]);
    expect(rootsOf(sec, req.id).map((p) => p.id)).toEqual([inSec.id]);
    expect(rootsOf(dm, req.id).map((p) => p.id)).toEqual([inDm.id]);
    // The host holds the found posts as its refs: a review still edits them, and the buttons work.
    const { submit } = await review(fake.postById(inSec.id)!, 'dave', 'deny', 'no change window');
    expect(submit.status).toBe(200);
    for (const channel of [ops, sec, dm]) await waitStatus(channel, req.id, '❌ DENIED');
    expect(rootsOf(ops, req.id)).toHaveLength(1);
  });

  it('a deleted request shows WITHDRAWN in every copy, without buttons', async () => {
    const req = await create('bob', ['dba'], 'no longer needed');
    await rootIn(ops, req.id);
    await rootIn(sec, req.id);
    await rootIn(() => dmOf('bob'), req.id);
    await stack.adminClient.deleteRequest(req.id);
    for (const channel of [ops, sec, dmOf('bob')!]) {
      const withdrawn = await waitStatus(channel, req.id, '🗑️ WITHDRAWN');
      expect(actionIds(withdrawn)).toEqual([]);
      expect(fieldsOf(withdrawn).Reason).toBe('no longer needed');
    }
  });

  it('mentions, channel links, links and images in user text are shown literally and notify nobody', async () => {
    const evil =
      '@channel @all @here @alice ~ops [a](https://e.example) ![i](https://e.example/i.png) http://e.example www.e.example';
    const req = await create('bob', ['dba'], evil);
    const inOps = await rootIn(ops, req.id);
    const shown = fieldsOf(inOps).Reason!;
    // What a reader sees once the zero-width breaks are invisible and the escapes rendered.
    const rendered = shown.replaceAll('\u200b', '').replace(/\\(.)/g, '$1');
    expect(rendered).toBe(evil);
    // No mention, channel link, markdown link/image or bare URL survives for Mattermost to act on.
    const live = /(^|[^\u200b\\])[@~]\w|(?<!\\)\[[^\]]*(?<!\\)\]\(|[a-z]+:\/\/|www\.[a-z]/i;
    expect(shown).not.toMatch(live);
    const { submit } = await review(inOps, 'alice', 'deny', '@all see [this](https://evil.example) ~ops');
    expect(submit.status).toBe(200);
    const reply = await stack.waitFor(() => fake.threadReplies(inOps.id)[0], 30_000, 'thread reply');
    expect(reply.message.replaceAll('\u200b', '').replace(/\\(.)/g, '$1')).toContain(
      '@all see [this](https://evil.example) ~ops',
    );
    expect(reply.message).not.toMatch(live);
  });
});

describe('reviews from Mattermost', () => {
  it('approve: one review by the mapped person, a thread reply, every copy edited, buttons gone', async () => {
    const req = await create('bob', ['dba'], 'rotate keys');
    const inOps = await rootIn(ops, req.id);
    await rootIn(sec, req.id);
    const dm = await rootIn(() => dmOf('bob'), req.id);
    const { dialog, submit } = await review(inOps, 'alice', 'approve', 'ticket OPS-7');
    expect(dialog.dialog).toMatchObject({
      callback_id: 'accessbotreview',
      title: 'Approve request',
      submit_label: 'Approve',
    });
    expect(dialog.dialog.introduction_text).toBe(`You are about to **approve** request \`${req.id}\`.`);
    expect(submit).toMatchObject({ status: 200, shown: '' });
    const after = await current(req.id);
    expect(after.state).toBe('APPROVED');
    expect(after.reviews.map((r) => [r.author, r.proposedState, r.reason])).toEqual([
      ['alice', 'APPROVED', 'ticket OPS-7'],
    ]);
    for (const channel of [ops, sec]) {
      const approved = await waitStatus(channel, req.id, '✅ APPROVED');
      expect(actionIds(approved)).toEqual([]);
      expect(attachmentOf(approved).color).toBe('#2eb67d');
      expect(fieldsOf(approved).Resolution).toBe('Approved by **alice**\n> ticket OPS\\-7');
      const replies = await stack.waitFor(
        () => (fake.threadReplies(approved.id).length > 0 ? fake.threadReplies(approved.id) : null),
        30_000,
        'thread reply',
      );
      expect(replies.map((r) => r.message)).toEqual(['**alice** ✅ approved this request\n> ticket OPS\\-7']);
    }
    await waitStatus(dm.channel_id, req.id, '✅ APPROVED');
    // An edit notifies nobody: the requester hears of the outcome in a post of its own.
    const outcome = await stack.waitFor(
      () => fake.rootPosts(dm.channel_id).find((p) => p.id !== dm.id && p.message.includes(req.id)),
      30_000,
      'outcome notice',
    );
    expect(outcome.message).toBe(
      `**✅ APPROVED** Your request for roles dba (\`${req.id}\`): Approved by **alice**\n> ticket OPS\\-7`,
    );
    await pause(500);
    expect(fake.threadReplies(inOps.id)).toHaveLength(1);
    // One outcome notice (the request's own post names the id in its attachment, not its text).
    expect(fake.rootPosts(dm.channel_id).filter((p) => p.message.includes(req.id))).toHaveLength(1);
  });

  it('deny edits every copy to DENIED with who and why', async () => {
    const req = await create('bob', ['dba'], 'just because');
    const inSec = await rootIn(sec, req.id);
    const { dialog } = await review(inSec, 'dave', 'deny', 'no change window');
    expect(dialog.dialog).toMatchObject({ title: 'Deny request', submit_label: 'Deny' });
    for (const channel of [ops, sec]) {
      const denied = await waitStatus(channel, req.id, '❌ DENIED');
      expect(fieldsOf(denied).Resolution).toBe('Denied by **dave**\n> no change window');
      expect(attachmentOf(denied).color).toBe('#e01e5a');
      expect(actionIds(denied)).toEqual([]);
    }
  });

  it('expiry edits every copy to EXPIRED without buttons', async () => {
    const req = await create('bob', ['dba'], 'short lived', { requestTtl: '2s' });
    await rootIn(ops, req.id);
    for (const channel of [ops, sec]) {
      const expired = await waitStatus(channel, req.id, '⌛ EXPIRED');
      expect(actionIds(expired)).toEqual([]);
      expect(fieldsOf(expired).Resolution).toBe('Expired without a decision.');
    }
  }, 60_000);

  it('a threshold of two approvals: the first leaves it pending with its review shown, the second approves', async () => {
    const req = await create('tom', ['prod-db'], 'migration');
    const inOps = await rootIn(ops, req.id);
    expect(fieldsOf(inOps)['Approvals needed']).toBe('2');
    await review(inOps, 'alice', 'approve', 'first');
    await stack.waitFor(() => fake.threadReplies(inOps.id).length === 1, 30_000, 'first reply');
    expect((await current(req.id)).state).toBe('PENDING');
    const still = await stack.waitFor(
      () => rootsOf(ops, req.id).find((p) => fieldsOf(p).Reviews?.startsWith('1 approval')),
      30_000,
      'pending with one approval',
    );
    expect(statusOf(still)).toBe('⏳ PENDING');
    expect(fieldsOf(still).Reviews).toBe('1 approval, 0 denials: ✅ alice');
    expect(fieldsOf(still)['Approvals needed']).toBe('1');
    expect(actionIds(still)).toEqual(['approve', 'deny']);
    await review(still, 'dave', 'approve', 'second');
    const approved = await waitStatus(ops, req.id, '✅ APPROVED');
    expect(fieldsOf(approved).Resolution).toBe('Approved by **alice**, **dave**\n> first; second');
    expect(fieldsOf(approved)['Approvals needed']).toBeUndefined();
    await stack.waitFor(() => fake.threadReplies(inOps.id).length === 2, 30_000, 'second reply');
    expect(fake.threadReplies(inOps.id).map((r) => r.message.split('\n')[0])).toEqual([
      '**alice** ✅ approved this request',
      '**dave** ✅ approved this request',
    ]);
  });
});

describe('refusals', () => {
  it('unknown person, reviewer without the right, own request → the dialog says why, no review', async () => {
    const req = await create('bob', ['dba'], 'refusal target');
    const inOps = await rootIn(ops, req.id);
    const ghost = await review(inOps, 'ghost', 'approve', 'who am I');
    expect(ghost.submit.shown).toMatch(/could not be matched to an access user/);
    const eve = await review(inOps, 'eve', 'approve', 'I may not');
    expect(eve.submit.shown).toMatch(/may not review/);
    const own = await review(inOps, 'bob', 'approve', 'mine');
    expect(own.submit.shown).toMatch(/your own request/);
    const after = await current(req.id);
    expect(after.reviews).toEqual([]);
    expect(after.state).toBe('PENDING');
    expect(fake.threadReplies(inOps.id)).toEqual([]);
  });

  it('a second review by the same person is refused; a click on a stale copy after resolution says so', async () => {
    const req = await create('tom', ['prod-db'], 'double click');
    const inOps = await rootIn(ops, req.id);
    await review(inOps, 'alice', 'approve', 'once');
    const again = await review(inOps, 'alice', 'approve', 'twice');
    expect(again.submit.shown).toMatch(/already reviewed/);
    await review(inOps, 'dave', 'deny', 'no');
    const denied = await waitStatus(ops, req.id, '❌ DENIED');
    expect(actionIds(denied)).toEqual([]);
    // A client that has not refreshed still shows the buttons of the first version.
    const stale = { ...denied, props: inOps.history[0]!.props };
    const dialogsBefore = fake.dialogs.length;
    const late = await click(fake, stale, 'dave', 'approve');
    expect(late).toMatchObject({
      status: 200,
      shown: 'This request is already ❌ DENIED; nothing to review.',
    });
    expect(fake.dialogs.length).toBe(dialogsBefore);
    expect((await current(req.id)).reviews).toHaveLength(2);
  });
});

describe('forged and replayed calls', () => {
  const hook = (path: string) => stack.hookUrl('mattermost', path);

  it('a click without a MAC, with a forged MAC, or with a context moved to another post → 401, no dialog, no review', async () => {
    const req = await create('bob', ['dba'], 'forgery target');
    const inOps = await rootIn(ops, req.id);
    const inSec = await rootIn(sec, req.id);
    // The context as the server stores it (never shown to clients; a forger must guess it).
    const stored = fake.postById(inOps.id)!;
    const context = (actionsOf(stored)[0]!.integration as Json).context as Json;
    const alice = fake.userByName('alice').id;
    const dialogsBefore = fake.dialogs.length;
    const attempts: Json[] = [
      clickBody(fake, stored, alice, { r: req.id, a: 'approve', c: ops, p: '', e: 4_102_444_800 }),
      clickBody(fake, stored, alice, { ...context, m: 'f'.repeat(64) }),
      clickBody(fake, stored, alice, { ...context, a: 'deny' }),
      clickBody(fake, stored, alice, { ...context, e: Number(context.e) + 3600 }),
      clickBody(fake, stored, alice, undefined),
      // A valid context replayed on a post in another channel.
      clickBody(fake, fake.postById(inSec.id)!, alice, context),
    ];
    for (const body of attempts) {
      const res = await postDirect(hook('/actions'), body);
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ error: { code: 'INVALID_SIGNATURE' } });
    }
    await pause(300);
    expect(fake.dialogs.length).toBe(dialogsBefore);
    const after = await current(req.id);
    expect(after.reviews).toEqual([]);
    expect(after.state).toBe('PENDING');
  });

  it('a replayed dialog state, a submission by another user, a tampered state → refused, one review at most', async () => {
    const req = await create('tom', ['prod-db'], 'replay target');
    const inOps = await rootIn(ops, req.id);
    const { dialog, submit } = await review(inOps, 'alice', 'approve', 'genuine');
    expect(submit.status).toBe(200);
    expect((await current(req.id)).reviews).toHaveLength(1);
    // The same state again, through the server (Mattermost relays whatever the client sends).
    const replay = await submitDialog(fake, dialog, 'alice', { reason: 'again' });
    expect(replay).toMatchObject({ status: 400, integrationStatus: 409 });
    // Dave opens nothing himself but submits alice's dialog state as his own session.
    const { dialog: fresh } = await clickFor(fake.postById(inOps.id)!, 'alice', 'approve');
    const byDave = await submitDialog(fake, fresh!, 'dave', { reason: 'not mine' });
    expect(byDave).toMatchObject({ status: 400, integrationStatus: 403 });
    // Alice's own fresh state, with the action switched to deny.
    const state = JSON.parse(String(fresh!.dialog.state)) as Json;
    const tampered = await submitDialog(
      fake,
      fresh!,
      'alice',
      { reason: 'x' },
      {
        state: JSON.stringify({ ...state, a: 'deny' }),
      },
    );
    expect(tampered).toMatchObject({ status: 400, integrationStatus: 401 });
    const after = await current(req.id);
    expect(after.reviews.map((r) => [r.author, r.reason])).toEqual([['alice', 'genuine']]);
    expect(after.state).toBe('PENDING');
    expect(fake.threadReplies(inOps.id).length).toBeLessThanOrEqual(1);
  });

  it('the hook URL on an internal address not in AllowedUntrustedInternalConnections → Mattermost refuses the click', async () => {
    const req = await create('bob', ['dba'], 'internal hook');
    const inOps = await rootIn(ops, req.id);
    fake.allowedUntrustedInternalConnections = [];
    try {
      const res = await click(fake, fake.postById(inOps.id)!, 'alice', 'approve');
      expect(res.status).toBe(400);
      expect(res.shown).toContain('AllowedUntrustedInternalConnections');
    } finally {
      fake.allowedUntrustedInternalConnections = [HOOK_HOST];
    }
  });
});
