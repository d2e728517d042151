// The slack plugin through the SDK contract, with the real @slack/web-api client against
// the fake Slack Web API: what lands in Slack on deliver, update and reply, and what a
// failing Slack turns into.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Card, PluginError, reviewToCard, type Target } from '../../src/plugin-sdk/index.js';
import { firstTry } from '../../test/fakes/plugin-context.js';
import { buttonActionIds } from '../../test/fakes/slack/interactions.js';
import { FakeSlack } from '../../test/fakes/slack/server.js';
import plugin, { type SlackPluginInstance } from './index.js';
import { testCard, testContext } from './test-context.js';

let fake: FakeSlack;
let ops: string;
const bob = { id: 'UBOB', name: 'bob', email: 'bob@example.com' };
const alice = { id: 'UALICE', name: 'alice', email: 'alice@example.com' };

async function instance(over: Record<string, unknown> = {}): Promise<SlackPluginInstance> {
  const config = plugin.configSchema.parse({
    token: fake.botToken,
    signing_secret: 'shh',
    api_url: fake.apiUrl,
    reason_max_length: 100,
    ...over,
  });
  return (await plugin.create(testContext(config).ctx)) as SlackPluginInstance;
}

const sectionTexts = (blocks: Record<string, unknown>[]) =>
  blocks.flatMap((b) => [
    ...(b.text ? [(b.text as { text: string }).text] : []),
    ...((b.fields as { text: string }[] | undefined) ?? []).map((f) => f.text),
    ...((b.elements as { text?: unknown }[] | undefined) ?? [])
      .map((e) => e.text)
      .filter((t): t is string => typeof t === 'string'),
  ]);

const statusOf = (blocks: Record<string, unknown>[]) =>
  (blocks[0]!.text as { text: string }).text.split('\n')[0] as string;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  ops = fake.addChannel('ops');
  fake.addUser(bob);
  fake.addUser(alice);
});
afterAll(async () => {
  await fake.stop();
});

describe('recipients', () => {
  it('resolves channel names and IDs as given, and emails to Slack user IDs', async () => {
    const slack = await instance();
    expect(await slack.resolveRecipient('#ops', 'reviewer')).toMatchObject({ id: '#ops', kind: 'channel' });
    expect(await slack.resolveRecipient(ops, 'reviewer')).toMatchObject({ id: ops, kind: 'channel' });
    expect(await slack.resolveRecipient('alice@example.com', 'reviewer')).toMatchObject({
      id: 'UALICE',
      kind: 'user',
    });
    expect(fake.callsTo('users.lookupByEmail').at(-1)?.params.email).toBe('alice@example.com');
  });

  it('refuses an unknown email and garbage as permanent errors', async () => {
    const slack = await instance();
    await expect(slack.resolveRecipient('nobody@example.com', 'reviewer')).rejects.toMatchObject({
      kind: 'permanent',
    });
    await expect(slack.resolveRecipient('not a channel!', 'reviewer')).rejects.toMatchObject({
      kind: 'permanent',
    });
  });
});

describe('messages', () => {
  const channel: Target = { id: '#ops', kind: 'channel', audience: 'reviewer' };
  const requesterDm: Target = { id: 'UBOB', kind: 'user', audience: 'requester' };

  it('posts a pending request with status, requester, roles, reason, ID, CLI hint and buttons', async () => {
    const slack = await instance();
    const card = testCard();
    const ref = await slack.deliver(channel, card, firstTry());
    expect(ref).toEqual({ channel: ops, ts: expect.any(String) });
    const message = fake.rootMessages(ops).find((m) => m.ts === ref.ts)!;
    expect(statusOf(message.blocks)).toBe('*⏳ PENDING*');
    const texts = sectionTexts(message.blocks).join('\n');
    expect(texts).toContain('*Requester*\nbob');
    expect(texts).toContain('*Roles*\ndba');
    expect(texts).toContain('*Reason*\nfix the replica');
    expect(texts).toContain(`*Request ID*\n${card.requestId}`);
    expect(texts).toContain(`accessbot request review --approve|--deny ${card.requestId}`);
    const expires = Math.floor(Date.parse(card.requestExpires) / 1000);
    expect(texts).toContain(
      `*Request expires*\n<!date^${expires}^{date_short_pretty} {time}|${card.requestExpires}>`,
    );
    expect(buttonActionIds(message)).toEqual(['accessbot_approve', 'accessbot_deny']);
    expect(message.text).toContain('⏳ PENDING');
  });

  it("gives the requester's DM copy no buttons", async () => {
    const slack = await instance();
    const ref = await slack.deliver(requesterDm, testCard({}, 'requester'), firstTry());
    const message = fake.rootMessages(fake.dmChannelOf('UBOB')).find((m) => m.ts === ref.ts)!;
    expect(ref.channel).toBe('DBOB');
    expect(statusOf(message.blocks)).toBe('*⏳ PENDING*');
    expect(buttonActionIds(message)).toEqual([]);
  });

  it('shows no buttons when interactions are off, only the CLI hint', async () => {
    const slack = await instance({ interactions: 'none', signing_secret: undefined });
    expect(slack.routes!()).toEqual([]);
    const card = testCard();
    const ref = await slack.deliver(channel, card, firstTry());
    const message = fake.rootMessages(ops).find((m) => m.ts === ref.ts)!;
    expect(buttonActionIds(message)).toEqual([]);
    expect(sectionTexts(message.blocks).join('\n')).toContain(`--deny ${card.requestId}`);
  });

  it('cuts a long reason at the configured length with a visible marker', async () => {
    const slack = await instance({ reason_max_length: 100 });
    const ref = await slack.deliver(channel, testCard({ reason: 'x'.repeat(5000) }), firstTry());
    const reason = sectionTexts(fake.rootMessages(ops).find((m) => m.ts === ref.ts)!.blocks).find((t) =>
      t.startsWith('*Reason*'),
    )!;
    const shown = reason.slice('*Reason*\n'.length);
    expect(Array.from(shown)).toHaveLength(100);
    expect(shown.endsWith('… (truncated)')).toBe(true);
  });

  it('shows mentions and links in user text literally', async () => {
    const slack = await instance({ reason_max_length: 500 });
    const evil = 'hi <!channel> <!here> <@U123> <https://evil.example|click> & more';
    const ref = await slack.deliver(channel, testCard({ reason: evil, user: '<!everyone>' }), firstTry());
    const message = fake.rootMessages(ops).find((m) => m.ts === ref.ts)!;
    const all = JSON.stringify(message.blocks) + message.text;
    expect(all).not.toMatch(/<!channel>|<!here>|<@U123>|<https:\/\/evil|<!everyone>/);
    expect(sectionTexts(message.blocks).join('\n')).toContain(
      'hi &lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; &amp; more',
    );
  });

  it('stays inside Slack block limits with huge role lists and resource IDs', async () => {
    const slack = await instance({ reason_max_length: 2500 });
    const roles = Array.from({ length: 400 }, (_, i) => `role-with-a-long-name-${i}`);
    const ref = await slack.deliver(channel, testCard({ roles, reason: '<'.repeat(2500) }), firstTry());
    expect(fake.rootMessages(ops).some((m) => m.ts === ref.ts)).toBe(true);
    const resources = Array.from({ length: 200 }, (_, i) => `/cluster/node/${'n'.repeat(30)}-${i}`);
    await expect(
      slack.deliver(channel, testCard({ roles: ['dba'], resources }), firstTry()),
    ).resolves.toHaveProperty('ts');
  });

  it('a post whose answer was lost is found by its delivery id on the retry and edited, not posted twice', async () => {
    const slack = await instance();
    await slack.deliver(channel, testCard(), firstTry('post-warmup'));
    const card = testCard();
    const deliveryId = `post-${card.requestId}`;
    const before = fake.rootMessages(ops).length;
    const lookupsBefore = fake.callsTo('conversations.history').length;
    fake.loseNextAnswers(1, { methods: ['chat.postMessage'] });
    await expect(slack.deliver(channel, card, firstTry(deliveryId))).rejects.toBeInstanceOf(PluginError);
    // It landed in Slack all the same, and a first try never looks anything up.
    expect(fake.rootMessages(ops).length - before).toBe(1);
    expect(fake.callsTo('conversations.history').length).toBe(lookupsBefore);
    const landed = fake.rootMessages(ops).at(-1)!;
    const newer = testCard({ id: card.requestId, state: 'APPROVED', version: 2 });
    const ref = await slack.deliver(channel, newer, { deliveryId, attempt: 1, mayHaveBeenSent: true });
    expect(ref).toEqual({ channel: ops, ts: landed.ts });
    expect(fake.rootMessages(ops).length - before).toBe(1);
    expect(statusOf(landed.history.at(-1)!.blocks as Record<string, unknown>[])).toBe('*✅ APPROVED*');
  });

  it('a retry finds nothing to edit when the first try never landed, and posts once', async () => {
    const slack = await instance();
    const card = testCard();
    const before = fake.rootMessages(ops).length;
    fake.failNext(1, { methods: ['chat.postMessage'] });
    const deliveryId = `post-${card.requestId}`;
    await expect(slack.deliver(channel, card, firstTry(deliveryId))).rejects.toBeInstanceOf(PluginError);
    expect(fake.rootMessages(ops).length - before).toBe(0);
    await slack.deliver(channel, card, { deliveryId, attempt: 2, mayHaveBeenSent: true });
    expect(fake.rootMessages(ops).length - before).toBe(1);
  });

  it('a retried post with the same delivery id edits the first message instead of posting again', async () => {
    const slack = await instance();
    const card = testCard();
    const before = fake.rootMessages(ops).length;
    const first = await slack.deliver(channel, card, firstTry(`post-${card.requestId}`));
    const newer = testCard({ id: card.requestId, state: 'DENIED', version: 2 });
    const second = await slack.deliver(channel, newer, {
      deliveryId: `post-${card.requestId}`,
      attempt: 2,
      mayHaveBeenSent: false,
    });
    expect(second).toEqual(first);
    expect(fake.rootMessages(ops).length - before).toBe(1);
    expect(statusOf(fake.rootMessages(ops).find((m) => m.ts === first.ts)!.blocks)).toBe('*❌ DENIED*');
  });

  it('edits the message on approval: status, who decided and why, no buttons', async () => {
    const slack = await instance();
    const pending = testCard();
    const ref = await slack.deliver(channel, pending, firstTry());
    const review = {
      author: 'alice',
      submittedBy: 'alice',
      proposedState: 'APPROVED' as const,
      reason: 'looks <!here> fine',
      roles: [],
      annotations: {},
      created: new Date().toISOString(),
    };
    const approved: Card = testCard({
      id: pending.requestId,
      state: 'APPROVED',
      reviews: [review],
      version: 3,
    });
    await slack.reply!(channel, ref, reviewToCard(review), approved, firstTry());
    expect(await slack.update(channel, ref, approved, firstTry())).toBeUndefined();
    const message = fake.rootMessages(ops).find((m) => m.ts === ref.ts)!;
    expect(statusOf(message.blocks)).toBe('*✅ APPROVED*');
    expect(buttonActionIds(message)).toEqual([]);
    const resolution = sectionTexts(message.blocks).find((t) => t.startsWith('*Resolution*'))!;
    expect(resolution).toBe('*Resolution*\nApproved by *alice*\n>looks &lt;!here&gt; fine');
    const replies = fake.threadReplies(ops, ref.ts as string);
    expect(replies.map((r) => r.text)).toEqual([
      '*alice* ✅ approved this request\n>looks &lt;!here&gt; fine',
    ]);
  });

  it('reminds in the thread how long the request has waited, and a retry finds the reminder it already posted', async () => {
    const slack = await instance();
    const card = testCard({ created: new Date(Date.now() - (2 * 60 + 5) * 60_000).toISOString() });
    const ref = await slack.deliver(channel, card, firstTry());
    const delivery = firstTry(`post-${card.requestId}.m0`);
    await slack.remind!(channel, ref, card, delivery);
    // The host marks a reminder sent only after the call returned; a retry after a lost answer
    // says an earlier try may have landed, and the plugin finds it in the thread.
    const lookups = fake.callsTo('conversations.replies').length;
    await slack.remind!(channel, ref, card, { ...delivery, attempt: 2, mayHaveBeenSent: true });
    expect(fake.callsTo('conversations.replies').length - lookups).toBe(1);
    const replies = fake.threadReplies(ops, ref.ts as string);
    expect(replies.map((r) => r.text)).toEqual([
      `⏰ Still waiting for a review after 2 h 5 min. Approve or deny with the buttons above, or \`accessbot request review --approve|--deny ${card.requestId}\`.`,
    ]);
  });

  it('edits on denial and expiry, and DMs the requester the outcome once, even when a retry follows a lost answer', async () => {
    const slack = await instance();
    const pending = testCard({}, 'requester');
    const dmRef = await slack.deliver(requesterDm, pending, firstTry());
    const chanRef = await slack.deliver(channel, testCard({ id: pending.requestId }), firstTry());
    const denied = (audience: 'reviewer' | 'requester') =>
      testCard(
        { id: pending.requestId, state: 'DENIED', resolvedBy: 'carol', resolveReason: 'not now', version: 2 },
        audience,
      );
    await slack.update(channel, chanRef, denied('reviewer'), firstTry());
    await slack.update(requesterDm, dmRef, denied('requester'), firstTry());
    await slack.update(requesterDm, dmRef, denied('requester'), firstTry());
    // The outcome DM is its own call, made once by the host; its retry after a lost answer
    // finds the DM already there.
    const notice = firstTry(`post-${pending.requestId}.outcome`);
    fake.loseNextAnswers(1, { methods: ['chat.postMessage'] });
    await expect(
      slack.notifyOutcome!(requesterDm, dmRef, denied('requester'), notice),
    ).rejects.toBeInstanceOf(PluginError);
    await slack.notifyOutcome!(requesterDm, dmRef, denied('requester'), {
      ...notice,
      attempt: 2,
      mayHaveBeenSent: true,
    });
    const chan = fake.rootMessages(ops).find((m) => m.ts === chanRef.ts)!;
    expect(statusOf(chan.blocks)).toBe('*❌ DENIED*');
    expect(sectionTexts(chan.blocks)).toContain('*Resolution*\nDenied by *carol*\n>not now');
    const dm = fake.rootMessages('DBOB');
    expect(statusOf(dm.find((m) => m.ts === dmRef.ts)!.blocks)).toBe('*❌ DENIED*');
    const outcomes = dm.filter((m) => m.ts !== dmRef.ts && m.text.includes(pending.requestId));
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.text).toContain('*❌ DENIED* Your request for roles dba');

    const other = testCard();
    const ref2 = await slack.deliver(channel, other, firstTry());
    await slack.update(
      channel,
      ref2,
      testCard({ id: other.requestId, state: 'EXPIRED', version: 2 }),
      firstTry(),
    );
    const expired = fake.rootMessages(ops).find((m) => m.ts === ref2.ts)!;
    expect(statusOf(expired.blocks)).toBe('*⌛ EXPIRED*');
    expect(buttonActionIds(expired)).toEqual([]);
  });
});

describe('Slack failures carry retry meaning and never retry inside the client', () => {
  const channel: Target = { id: '#ops', kind: 'channel', audience: 'reviewer' };

  it('429 → rate_limited with Retry-After, 500 → transient, each after exactly one call', async () => {
    const slack = await instance();
    const before = fake.callsTo('chat.postMessage').length;
    fake.rateLimitNext(1, 7);
    const limited = await slack.deliver(channel, testCard(), firstTry()).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(PluginError);
    expect(limited).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7000 });
    fake.failNext(1);
    await expect(slack.deliver(channel, testCard(), firstTry())).rejects.toMatchObject({ kind: 'transient' });
    expect(fake.callsTo('chat.postMessage').length - before).toBe(2);
  });

  it('unknown channel → permanent; bad token → auth (health check fails)', async () => {
    const slack = await instance();
    await expect(
      slack.deliver({ id: '#nope', kind: 'channel', audience: 'reviewer' }, testCard(), firstTry()),
    ).rejects.toMatchObject({
      kind: 'permanent',
    });
    await expect(slack.healthCheck()).resolves.toBeUndefined();
    const bad = await instance({ token: 'xoxb-wrong' });
    await expect(bad.healthCheck()).rejects.toMatchObject({ kind: 'auth' });
    await expect(bad.deliver(channel, testCard(), firstTry())).rejects.toMatchObject({ kind: 'auth' });
  });

  it('reads the token from a file and refuses a config without one', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(mkdtempSync(join(tmpdir(), 'slack-token-')), 'token');
    writeFileSync(file, `${fake.botToken}\n`);
    const fromFile = await instance({ token: undefined, token_file: file });
    await expect(fromFile.healthCheck()).resolves.toBeUndefined();
    const parsed = plugin.configSchema.safeParse({ signing_secret: 's' });
    expect(parsed.success).toBe(false);
  });
});
