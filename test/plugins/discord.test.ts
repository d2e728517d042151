// End to end: the real access API, the real host (BullMQ on the test Redis, inbound server),
// the discord plugin with the real @discordjs/rest client, and the fake Discord API. Clicks and
// modal submissions come back to the host's /hooks/discord/interactions signed with an Ed25519
// key exactly as Discord signs them. Proves the "Must show" list.

import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import discordPlugin from '../../plugins/discord/index.js';
import type { AccessRequest } from '../../src/access/types.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import {
  buttonActions,
  FakeDiscordInteractions,
  type InteractionResult,
} from '../fakes/discord/interactions.js';
import { FakeDiscord, type FakeDiscordMessage } from '../fakes/discord/server.js';
import { dbaAndProdRolesYaml, usersWithEmail } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const REASON_MAX = 120;
const POST_MESSAGE = 'POST /channels/:id/messages';

let fake: FakeDiscord;
let discord: FakeDiscordInteractions;
let stack: TestStack;
let ops: string;
let sec: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  fake = await new FakeDiscord().start();
  // Discord's own message bucket is 5 per 5 s per channel; 5 per second keeps the suite quick
  // while the bursts below still run into it.
  fake.limits.messageLimit = { limit: 5, windowMs: 1000 };
  discord = new FakeDiscordInteractions(fake);
  ops = fake.addChannel('ops');
  sec = fake.addChannel('security');
  for (const name of ['bob', 'tom', 'alice', 'dave', 'eve', 'ghost']) ids[name] = fake.addUser(name).id;
  const users = usersWithEmail({
    bob: ['requester', 'approver'],
    tom: ['prod-requester'],
    alice: ['approver'],
    dave: ['approver'],
    eve: ['requester'],
  }).map((u) => ({ ...u, traits: { discord_id: [ids[u.name]!] } }));
  stack = await startTestStack({
    rolesYaml: dbaAndProdRolesYaml(),
    users,
    definitions: new Map([['discord', discordPlugin as unknown as PluginDefinition]]),
    plugins: {
      discord: {
        token: fake.token,
        public_key: discord.publicKeyHex,
        guild_id: fake.guildId,
        api_url: fake.apiUrl,
        reason_max_length: REASON_MAX,
      },
    },
    // One channel by name, one by id.
    routing: [{ roles: ['*'], targets: { discord: ['#ops', sec] } }],
    delivery: { backoff: '100ms', max_backoff: '2s', attempts: 40 },
  });
  discord.endpoint = stack.hookUrl('discord', '/interactions');
});

afterAll(async () => {
  await stack?.stop();
  await fake?.stop();
});

const footer = (m: FakeDiscordMessage) =>
  String((m.embeds[0]?.footer as { text?: string } | undefined)?.text ?? '');
const rootsOf = (channel: string, requestId: string) =>
  fake.channelMessages(channel).filter((m) => m.embeds.length > 0 && footer(m).includes(requestId));
const statusOf = (m: FakeDiscordMessage) => String(m.embeds[0]!.title).split(' · ')[0];
const texts = (m: FakeDiscordMessage) => JSON.stringify({ content: m.content, embeds: m.embeds });
const field = (m: FakeDiscordMessage, name: string) =>
  ((m.embeds[0]!.fields as { name: string; value: string }[]) ?? []).find((f) => f.name === name)?.value;
const dmOf = (user: string) => fake.dmChannelOf(ids[user]!);
/** A thread message as a person reads it, without its small `ref` line. */
const said = (m: FakeDiscordMessage) => m.content.replace(/\n-# ref [\w-]+$/, '');
const settle = () => new Promise((r) => setTimeout(r, 500));

async function create(
  user: string,
  roles: string[],
  reason: string,
  extra: { requestTtl?: string; suggestedReviewers?: string[] } = {},
) {
  return (await stack.clientFor(user)).createRequest({ roles, reason, ...extra });
}

async function rootIn(channel: string, requestId: string): Promise<FakeDiscordMessage> {
  return stack.waitFor(() => rootsOf(channel, requestId)[0], 30_000, `message of ${requestId} in ${channel}`);
}

async function waitStatus(channel: string, requestId: string, status: string): Promise<FakeDiscordMessage> {
  return stack.waitFor(
    () => rootsOf(channel, requestId).find((m) => statusOf(m) === status),
    30_000,
    `${status} in ${channel}`,
  );
}

/** A person clicks a button, the modal opens, they submit it with `reason`. */
async function review(
  message: FakeDiscordMessage,
  user: string,
  action: 'approve' | 'deny',
  reason: string,
): Promise<{ click: InteractionResult; submit: InteractionResult }> {
  const click = await discord.click(message, ids[user]!, action);
  expect(click.status).toBe(200);
  expect(click.shown.failed).toBeUndefined();
  const modal = click.shown.modal;
  if (!modal) throw new Error(`no modal opened: ${JSON.stringify(click.body)}`);
  const submit = await discord.submit(modal, reason);
  expect(submit.status).toBe(200);
  expect(submit.shown.failed).toBeUndefined();
  return { click, submit };
}

async function current(id: string): Promise<AccessRequest> {
  return stack.adminClient.getRequest(id);
}

describe('delivery', () => {
  it('posts to #name, a channel id, the requester DM (no buttons) and a suggested reviewer DM', async () => {
    const reason = `needs the replica ${'y'.repeat(400)}`;
    const req = await create('bob', ['dba'], reason, { suggestedReviewers: ['alice'] });
    const inOps = await rootIn(ops, req.id);
    const inSec = await rootIn(sec, req.id);
    const bobDm = await rootIn(dmOf('bob'), req.id);
    const aliceDm = await rootIn(dmOf('alice'), req.id);
    for (const m of [inOps, inSec, bobDm, aliceDm]) expect(statusOf(m)).toBe('⏳ PENDING');
    expect(buttonActions(inOps)).toEqual(['approve', 'deny']);
    expect(buttonActions(aliceDm)).toEqual(['approve', 'deny']);
    expect(buttonActions(bobDm)).toEqual([]);
    expect(bobDm.embeds[0]!.description).toBe('Your access request');
    const shown = field(inOps, 'Reason')!;
    expect(shown.endsWith('… (truncated)')).toBe(true);
    expect(Array.from(shown)).toHaveLength(REASON_MAX);
    expect(field(inOps, 'Roles')).toBe('dba');
    expect(field(inOps, 'Review from the CLI')).toContain(
      `accessbot request review --approve|--deny ${req.id}`,
    );
    expect(inOps.embeds[0]!.color).toBe(0xf1c40f);
    await settle();
    for (const channel of [ops, sec, dmOf('bob'), dmOf('alice')])
      expect(rootsOf(channel, req.id)).toHaveLength(1);
  });

  it('20 requests created concurrently → exactly one message each per target, through the channel buckets', async () => {
    const reqs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => create('bob', ['dba'], `burst ${i}`)),
    );
    for (const req of reqs) {
      await rootIn(ops, req.id);
      await rootIn(sec, req.id);
      await rootIn(dmOf('bob'), req.id);
    }
    await settle();
    for (const req of reqs) {
      expect(rootsOf(ops, req.id)).toHaveLength(1);
      expect(rootsOf(sec, req.id)).toHaveLength(1);
      expect(rootsOf(dmOf('bob'), req.id)).toHaveLength(1);
    }
    // 20 posts per channel against 5 per second: the posts to one channel were spread over at
    // least three windows (the bucket held, through @discordjs/rest reading the X-RateLimit
    // headers, 429s and the host's retries), and nothing was lost or doubled.
    const firstPosts = reqs.map((req) => rootsOf(ops, req.id)[0]!.postedAt);
    expect(Math.max(...firstPosts) - Math.min(...firstPosts)).toBeGreaterThanOrEqual(2000);
  }, 90_000);

  it('429s on the route and the global limit, then recovery → one message each, nothing lost', async () => {
    const before = { ...fake.limits.refused };
    fake.rateLimitNext(2, 1, { routes: [POST_MESSAGE] });
    fake.rateLimitNext(2, 1, { global: true });
    const req = await create('bob', ['dba'], 'during the rate limits');
    await rootIn(ops, req.id);
    await rootIn(sec, req.id);
    await rootIn(dmOf('bob'), req.id);
    expect(fake.limits.refused.route - before.route).toBeGreaterThanOrEqual(2);
    expect(fake.limits.refused.global - before.global).toBeGreaterThanOrEqual(2);
    await settle();
    for (const channel of [ops, sec, dmOf('bob')]) expect(rootsOf(channel, req.id)).toHaveLength(1);
  });

  it('an outage (502s) → delivered once Discord recovers, nothing duplicated', async () => {
    fake.failNext(4, { routes: [POST_MESSAGE] });
    const req = await create('bob', ['dba'], 'during the outage');
    await rootIn(ops, req.id);
    await rootIn(sec, req.id);
    await settle();
    for (const channel of [ops, sec, dmOf('bob')]) expect(rootsOf(channel, req.id)).toHaveLength(1);
  });

  it("Discord's answers lost after the posts landed → the retries find them by delivery id, one message each", async () => {
    // Without the nonce guard, so that only the look-up can prevent a second message.
    fake.nonceWindowMs = 0;
    try {
      const lookupsBefore = fake.callsTo('GET /channels/:id/messages').length;
      fake.loseNextAnswers(3, { channels: [ops, sec, dmOf('bob')] });
      const req = await create('bob', ['dba'], 'answers lost on the way back');
      const inOps = await rootIn(ops, req.id);
      const inSec = await rootIn(sec, req.id);
      const inDm = await rootIn(dmOf('bob'), req.id);
      await stack.waitFor(
        () => fake.callsTo('GET /channels/:id/messages').length - lookupsBefore >= 3,
        20_000,
        'three look-ups',
      );
      await settle();
      expect(rootsOf(ops, req.id)).toEqual([inOps]);
      expect(rootsOf(sec, req.id)).toEqual([inSec]);
      expect(rootsOf(dmOf('bob'), req.id)).toEqual([inDm]);
      // The host holds the found messages as its refs: a review still edits each of them.
      await review(inSec, 'dave', 'deny', 'no change window');
      for (const channel of [ops, sec, dmOf('bob')]) await waitStatus(channel, req.id, '❌ DENIED');
    } finally {
      fake.nonceWindowMs = 5 * 60_000;
    }
  });

  it('a deleted request shows WITHDRAWN in every copy, without buttons', async () => {
    const req = await create('bob', ['dba'], 'no longer needed');
    await rootIn(ops, req.id);
    await rootIn(sec, req.id);
    await rootIn(dmOf('bob'), req.id);
    await stack.adminClient.deleteRequest(req.id);
    for (const channel of [ops, sec, dmOf('bob')]) {
      const withdrawn = await waitStatus(channel, req.id, '🗑️ WITHDRAWN');
      expect(buttonActions(withdrawn)).toEqual([]);
      expect(texts(withdrawn)).toContain('no longer needed');
    }
  });

  it('mentions, links and markdown in a reason show literally and ping nobody', async () => {
    // 118 characters: inside the reason limit, so nothing of it is cut.
    const evil =
      '@everyone @here <@123456789012345678> <#12345678901234567> [click](https://evil.example) **b** ||s|| https://e.example';
    const req = await create('bob', ['dba'], evil);
    const inOps = await rootIn(ops, req.id);
    const reason = field(inOps, 'Reason')!;
    expect(reason).not.toMatch(
      /(?<!\\)<@|(?<!\\)<#|(?<!\\)\[click\]|@everyone|@here|(?<!\\)\*\*bold|https:\/\//,
    );
    expect(reason).toContain('\\<@123456789012345678\\>');
    expect(reason).toContain('\\<\\#12345678901234567\\>');
    expect(reason).toContain('\\|\\|s\\|\\|');
    expect(reason).toContain('\\[click\\]\\(https\\://evil.example\\)');
    expect(reason).toContain('@\u200beveryone');
    const { submit } = await review(
      inOps,
      'alice',
      'deny',
      '@everyone see [this](https://evil.example) <@1234567890123456789>',
    );
    expect(submit.shown.updated).toBe(true);
    const thread = await stack.waitFor(() => fake.threadMessages(inOps.id)[0], 30_000, 'thread message');
    expect(thread.content).toContain(
      '@\u200beveryone see \\[this\\]\\(https\\://evil.example\\) \\<@1234567890123456789\\>',
    );
    // Every message body the plugin sent, posts and edits, turned mentions off.
    const sent = fake.calls.filter(
      (c) => (c.route === POST_MESSAGE || c.route === 'PATCH /channels/:id/messages/:id') && c.status === 200,
    );
    expect(sent.length).toBeGreaterThan(0);
    for (const c of sent) expect(c.body.allowed_mentions).toEqual({ parse: [] });
    for (const m of fake.messages) expect(m.allowed_mentions).toEqual({ parse: [] });
  });
});

describe('reviews from Discord', () => {
  it('PING is answered with PONG', async () => {
    const pong = await discord.ping();
    expect(pong.status).toBe(200);
    expect(pong.body).toEqual({ type: 1 });
  });

  it('approve: click → modal → submit → one review by the mapped person; every copy edited, thread reply', async () => {
    const req = await create('bob', ['dba'], 'rotate keys');
    const inOps = await rootIn(ops, req.id);
    await rootIn(sec, req.id);
    const bobDm = await rootIn(dmOf('bob'), req.id);
    const { click, submit } = await review(inOps, 'alice', 'approve', 'ticket OPS-7');
    expect(click.body.type).toBe(9);
    const modal = click.shown.modal!.data as {
      title: string;
      components: { type: number; component: { type: number; style: number } }[];
    };
    expect(modal.title).toBe('Approve access request');
    expect(modal.components[0]!.type).toBe(18);
    expect(modal.components[0]!.component).toMatchObject({ type: 4, style: 2 });
    // The submission's answer is the updated message itself (type 7), within Discord's 3 s.
    expect(submit.body.type).toBe(7);
    expect(submit.ms).toBeLessThan(3000);
    const after = await current(req.id);
    expect(after.state).toBe('APPROVED');
    expect(after.reviews.map((r) => [r.author, r.proposedState, r.reason])).toEqual([
      ['alice', 'APPROVED', 'ticket OPS-7'],
    ]);
    for (const channel of [ops, sec]) {
      const approved = await waitStatus(channel, req.id, '✅ APPROVED');
      expect(buttonActions(approved)).toEqual([]);
      expect(field(approved, 'Resolution')).toBe('Approved by **alice**\n> ticket OPS\\-7');
      expect(approved.embeds[0]!.color).toBe(0x2ecc71);
      const replies = await stack.waitFor(
        () => (fake.threadMessages(approved.id).length > 0 ? fake.threadMessages(approved.id) : null),
        30_000,
        'thread reply',
      );
      expect(replies.map(said)).toEqual(['**alice** ✅ approved this request\n> ticket OPS\\-7']);
    }
    // The requester's DM copy is edited too; the review is a reply under it (DMs have no threads),
    // and so is the outcome, which notifies the requester where an edit would not.
    await waitStatus(dmOf('bob'), req.id, '✅ APPROVED');
    const dmReplies = await stack.waitFor(
      () => (fake.repliesTo(bobDm.id).length >= 2 ? fake.repliesTo(bobDm.id) : null),
      30_000,
      'review and outcome under the DM copy',
    );
    expect(dmReplies.map(said).sort()).toEqual([
      '**alice** ✅ approved this request\n> ticket OPS\\-7',
      '**✅ APPROVED** Your request for roles dba: Approved by **alice**\n> ticket OPS\\-7',
    ]);
    await settle();
    expect((await current(req.id)).reviews).toHaveLength(1);
    expect(fake.threadMessages(inOps.id)).toHaveLength(1);
    expect(fake.repliesTo(bobDm.id)).toHaveLength(2);
  });

  it('a suggested reviewer approves from their DM (user, not member, in the interaction)', async () => {
    const req = await create('bob', ['dba'], 'from a DM', { suggestedReviewers: ['dave'] });
    const inDm = await rootIn(dmOf('dave'), req.id);
    const { submit } = await review(inDm, 'dave', 'approve', 'ok from my DM');
    expect(submit.body.type).toBe(7);
    expect((await current(req.id)).reviews.map((r) => r.author)).toEqual(['dave']);
    for (const channel of [ops, sec, dmOf('dave')]) await waitStatus(channel, req.id, '✅ APPROVED');
    // In the DM the review is a reply under the message, not a thread.
    await stack.waitFor(() => fake.repliesTo(inDm.id).length === 1, 30_000, 'reply under the DM copy');
  });

  it('deny edits every copy to DENIED with who and why', async () => {
    const req = await create('bob', ['dba'], 'just because');
    const inSec = await rootIn(sec, req.id);
    await review(inSec, 'dave', 'deny', 'no change window');
    for (const channel of [ops, sec, dmOf('bob')]) {
      const denied = await waitStatus(channel, req.id, '❌ DENIED');
      expect(field(denied, 'Resolution')).toBe('Denied by **dave**\n> no change window');
      expect(buttonActions(denied)).toEqual([]);
    }
  });

  it('expiry edits every copy to EXPIRED without buttons', async () => {
    const req = await create('bob', ['dba'], 'short lived', { requestTtl: '2s' });
    await rootIn(ops, req.id);
    for (const channel of [ops, sec, dmOf('bob')]) {
      const expired = await waitStatus(channel, req.id, '⌛ EXPIRED');
      expect(buttonActions(expired)).toEqual([]);
    }
  }, 60_000);

  it('a threshold of two approvals: the first leaves it pending with one review shown, the second approves', async () => {
    const req = await create('tom', ['prod-db'], 'migration');
    const inOps = await rootIn(ops, req.id);
    expect(field(inOps, 'Still needed')).toBe('2 approvals to approve, or 1 denial to deny');
    await review(inOps, 'alice', 'approve', 'first');
    const still = await stack.waitFor(
      () => rootsOf(ops, req.id).find((m) => (field(m, 'Reviews') ?? '').startsWith('1 approval')),
      30_000,
      'pending with one approval',
    );
    expect(statusOf(still)).toBe('⏳ PENDING');
    expect(buttonActions(still)).toEqual(['approve', 'deny']);
    expect(field(still, 'Still needed')).toBe('1 approval to approve, or 1 denial to deny');
    expect((await current(req.id)).state).toBe('PENDING');
    await review(still, 'dave', 'approve', 'second');
    const approved = await waitStatus(ops, req.id, '✅ APPROVED');
    expect(field(approved, 'Resolution')).toBe('Approved by **alice**, **dave**\n> first; second');
    expect(field(approved, 'Still needed')).toBeUndefined();
    await stack.waitFor(() => fake.threadMessages(inOps.id).length === 2, 30_000, 'second thread message');
    expect(fake.threadMessages(inOps.id).map((r) => r.content.split('\n')[0])).toEqual([
      '**alice** ✅ approved this request',
      '**dave** ✅ approved this request',
    ]);
  });
});

describe('refusals', () => {
  it('forged, missing, stale and future signatures → 401, no modal, no review', async () => {
    const req = await create('bob', ['dba'], 'forgery target');
    const inOps = await rootIn(ops, req.id);
    const modalsBefore = discord.modals.length;
    const forger = generateKeyPairSync('ed25519').privateKey;
    const now = Math.floor(Date.now() / 1000);
    for (const [opts, code] of [
      [{ key: forger }, 'INVALID_SIGNATURE'],
      [{ unsigned: true }, 'INVALID_SIGNATURE'],
      [{ timestampSeconds: now - 3600 }, 'STALE_REQUEST'],
      [{ timestampSeconds: now + 3600 }, 'STALE_REQUEST'],
    ] as const) {
      const res = await discord.click(inOps, ids.alice!, 'approve', opts);
      expect(res.status).toBe(401);
      expect((res.body as { error: { code: string } }).error.code).toBe(code);
    }
    // A forged modal submission as well (a modal the forger never got): nothing is decided from it.
    const opened = (await discord.click(inOps, ids.alice!, 'approve')).shown.modal!;
    const forged = await discord.submit(opened, 'forged', { key: forger });
    expect(forged.status).toBe(401);
    const unsignedPing = await discord.ping({ unsigned: true });
    expect(unsignedPing.status).toBe(401);
    await settle();
    expect(discord.modals.length).toBe(modalsBefore + 1);
    const after = await current(req.id);
    expect(after.reviews).toEqual([]);
    expect(after.state).toBe('PENDING');
  });

  it('unknown Discord user, reviewer without the right, own request → ephemeral refusal, no review', async () => {
    const req = await create('bob', ['dba'], 'refusal target');
    const inOps = await rootIn(ops, req.id);
    const ghost = await review(inOps, 'ghost', 'approve', 'who am I');
    expect(ghost.submit.shown.ephemeral).toMatch(/^⚠️ .*could not be matched to an access user/);
    const eve = await review(inOps, 'eve', 'approve', 'I may not');
    expect(eve.submit.shown.ephemeral).toMatch(/^⚠️ .*may not review/);
    const own = await review(inOps, 'bob', 'approve', 'mine');
    expect(own.submit.shown.ephemeral).toMatch(/^⚠️ .*your own request/);
    const after = await current(req.id);
    expect(after.reviews).toEqual([]);
    expect(after.state).toBe('PENDING');
    expect(fake.threadMessages(inOps.id)).toEqual([]);
    // Refusals are ephemeral: the message itself did not change.
    expect(rootsOf(ops, req.id)[0]!.history).toHaveLength(1);
  });

  it('a second review by the same person and a click after resolution are refused', async () => {
    const req = await create('tom', ['prod-db'], 'double click');
    const inOps = await rootIn(ops, req.id);
    await review(inOps, 'alice', 'approve', 'once');
    const again = await review(inOps, 'alice', 'approve', 'twice');
    expect(again.submit.shown.ephemeral).toMatch(/^⚠️ .*already reviewed/);
    await review(inOps, 'dave', 'deny', 'no');
    await waitStatus(ops, req.id, '❌ DENIED');
    // A client that has not refreshed still shows the buttons of the first version.
    const stale = { ...inOps, components: inOps.history[0]!.components };
    const late = await discord.click(stale, ids.eve!, 'approve');
    expect(late.shown.ephemeral).toBe('⚠️ This request is already ❌ DENIED; nothing to review.');
    expect(late.shown.modal).toBeUndefined();
    expect((await current(req.id)).reviews).toHaveLength(2);
  });

  it('a replayed signed submission is answered once: still one review', async () => {
    const req = await create('tom', ['prod-db'], 'replay target');
    const inOps = await rootIn(ops, req.id);
    const opened = (await discord.click(inOps, ids.alice!, 'approve')).shown.modal!;
    const message = fake.message(opened.messageId)!;
    const payload = {
      id: fake.snowflake(),
      application_id: fake.applicationId,
      type: 5,
      token: 'replayed-token',
      version: 1,
      guild_id: fake.guildId,
      channel_id: ops,
      member: { user: fake.userJson(fake.users.get(ids.alice!)!) },
      message: fake.messageJson(message),
      data: {
        custom_id: opened.data.custom_id,
        components: [
          { type: 18, id: 1, component: { type: 4, id: 2, custom_id: 'reason', value: 'replayed' } },
        ],
      },
    };
    const first = await discord.send(payload);
    const second = await discord.send(payload);
    expect(first.body.type).toBe(7);
    expect(second.body).toEqual({ type: 6 });
    const after = await current(req.id);
    expect(after.reviews.map((r) => r.author)).toEqual(['alice']);
  });
});
