// The plugin's REST side with the real @discordjs/rest against the fake Discord API: how
// recipients resolve, what a refused token, a rate limit and an outage become for the host,
// and that a retry neither loses nor doubles a message.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginError, type Target } from '../../src/plugin-sdk/index.js';
import { FakeDiscordInteractions } from '../../test/fakes/discord/interactions.js';
import { FakeDiscord } from '../../test/fakes/discord/server.js';
import plugin, { type DiscordPluginInstance } from './index.js';
import { testCard, testContext } from './test-context.js';

let fake: FakeDiscord;
let publicKey: string;
let ops: string;
let alice: string;
const dir = mkdtempSync(join(tmpdir(), 'accessbot-discord-'));

beforeAll(async () => {
  fake = await new FakeDiscord().start();
  // Many posts to one channel here; the rate-limit tests force their 429s.
  fake.limits.messageLimit = { limit: 100, windowMs: 1000 };
  publicKey = new FakeDiscordInteractions(fake).publicKeyHex;
  ops = fake.addChannel('ops');
  alice = fake.addUser('alice').id;
  fake.addUser('outsider', { member: false });
});
afterAll(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

function discordPlugin(over: Record<string, unknown> = {}) {
  const config = plugin.configSchema.parse({
    token: fake.token,
    public_key: publicKey,
    guild_id: fake.guildId,
    api_url: fake.apiUrl,
    ...over,
  });
  const t = testContext(config);
  return { t, instance: plugin.create(t.ctx) as DiscordPluginInstance };
}

async function refusal(promise: Promise<unknown>): Promise<PluginError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginError);
  return err as PluginError;
}

describe('recipients', () => {
  it('resolves #name, a channel id, <@id>, user:<id>, @username and an email through the mapping trait', async () => {
    const { t, instance } = discordPlugin();
    t.people.set('alice@example.com', {
      name: 'alice',
      email: 'alice@example.com',
      traits: { discord_id: [alice] },
    });
    expect(await instance.resolveRecipient('#ops', 'reviewer')).toMatchObject({ id: ops, kind: 'channel' });
    expect(await instance.resolveRecipient('#OPS', 'reviewer')).toMatchObject({ id: ops, kind: 'channel' });
    expect(await instance.resolveRecipient(ops, 'reviewer')).toMatchObject({ id: ops, kind: 'channel' });
    expect(await instance.resolveRecipient(`<@${alice}>`, 'reviewer')).toMatchObject({
      id: alice,
      kind: 'user',
    });
    expect(await instance.resolveRecipient(`user:${alice}`, 'reviewer')).toMatchObject({
      id: alice,
      kind: 'user',
    });
    expect(await instance.resolveRecipient('@Alice', 'reviewer')).toMatchObject({ id: alice, kind: 'user' });
    expect(await instance.resolveRecipient('alice@example.com', 'requester')).toEqual({
      id: alice,
      kind: 'user',
      audience: 'requester',
    });
  });

  it('by username, an email resolves through the discord_username trait and a member search', async () => {
    const { t, instance } = discordPlugin({ user_mapping: { by: 'username' } });
    t.people.set('alice@example.com', { name: 'alice', traits: { discord_username: ['alice'] } });
    expect(await instance.resolveRecipient('alice@example.com', 'reviewer')).toMatchObject({
      id: alice,
      kind: 'user',
    });
  });

  it('refuses permanently what cannot be reached, naming why', async () => {
    const { t, instance } = discordPlugin();
    t.people.set('nora@example.com', { name: 'nora', traits: {} });
    const otherGuildChannel = fake.snowflake();
    fake.channels.set(otherGuildChannel, {
      id: otherGuildChannel,
      type: 0,
      name: 'elsewhere',
      guild_id: fake.snowflake(),
    });
    for (const [raw, why] of [
      ['#nope', /no text channel #nope/],
      [otherGuildChannel, /not in the configured server/],
      [fake.snowflake(), /has no channel/],
      ['@outsider', /no member @outsider/],
      ['nora@example.com', /has no discord_id trait/],
      ['nobody@example.com', /no access user/],
      ['what is this', /not a Discord recipient/],
    ] as const) {
      const err = await refusal(instance.resolveRecipient(raw, 'reviewer'));
      expect(err.kind, raw).toBe('permanent');
      expect(err.message).toMatch(why);
    }
  });
});

describe('failures become retry meaning', () => {
  const channel = (): Target => ({ id: ops, kind: 'channel', audience: 'reviewer' });

  it('a refused token is an auth failure; a fixed token file works on the next call, without a restart', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'not-the-token\n');
    const { instance } = discordPlugin({ token: undefined, token_file: file });
    const err = await refusal(instance.healthCheck());
    expect(err.kind).toBe('auth');
    // @discordjs/rest forgot the token after the 401; the plugin read the file again.
    writeFileSync(file, `${fake.token}\n`);
    await instance.healthCheck();
    const ref = await instance.deliver(channel(), testCard(), {
      deliveryId: 'd-auth',
      attempt: 1,
      mayHaveBeenSent: false,
    });
    expect(fake.message(String(ref.message_id))).toBeDefined();
  });

  it('a route 429 and a global 429 are rate limits with a wait no shorter than Discord asked', async () => {
    const { instance } = discordPlugin();
    fake.rateLimitNext(1, 1.5, { routes: ['POST /channels/:id/messages'] });
    const route = await refusal(
      instance.deliver(channel(), testCard(), { deliveryId: 'd-429a', attempt: 1, mayHaveBeenSent: false }),
    );
    expect(route.kind).toBe('rate_limited');
    expect(route.retryAfterMs).toBeGreaterThanOrEqual(1500);
    expect(route.message).toMatch(/route/);
    const { instance: other } = discordPlugin();
    fake.rateLimitNext(1, 2, { global: true });
    const global = await refusal(
      other.deliver(channel(), testCard(), { deliveryId: 'd-429b', attempt: 1, mayHaveBeenSent: false }),
    );
    expect(global.kind).toBe('rate_limited');
    expect(global.retryAfterMs).toBeGreaterThanOrEqual(2000);
    expect(global.message).toMatch(/global/);
    // While the global limit lasts, the same client refuses at once, without a call to Discord.
    const calls = fake.calls.length;
    const again = await refusal(
      other.deliver(channel(), testCard(), { deliveryId: 'd-429c', attempt: 1, mayHaveBeenSent: false }),
    );
    expect(again.kind).toBe('rate_limited');
    expect(fake.calls.length).toBe(calls);
  });

  it('a 502 is transient; an unknown channel and missing permissions are permanent', async () => {
    const { instance } = discordPlugin();
    fake.failNext(1, { routes: ['POST /channels/:id/messages'] });
    expect(
      (
        await refusal(
          instance.deliver(channel(), testCard(), {
            deliveryId: 'd-502',
            attempt: 1,
            mayHaveBeenSent: false,
          }),
        )
      ).kind,
    ).toBe('transient');
    const gone: Target = { id: fake.snowflake(), kind: 'channel', audience: 'reviewer' };
    expect(
      (
        await refusal(
          instance.deliver(gone, testCard(), { deliveryId: 'd-404', attempt: 1, mayHaveBeenSent: false }),
        )
      ).kind,
    ).toBe('permanent');
  });

  it('the same delivery posted twice within the nonce window is one message', async () => {
    const { instance } = discordPlugin();
    const card = testCard();
    const first = await instance.deliver(channel(), card, {
      deliveryId: 'd-nonce',
      attempt: 1,
      mayHaveBeenSent: false,
    });
    const second = await instance.deliver(channel(), card, {
      deliveryId: 'd-nonce',
      attempt: 2,
      mayHaveBeenSent: false,
    });
    expect(second.message_id).toBe(first.message_id);
    expect(fake.channelMessages(ops).filter((m) => m.id === first.message_id)).toHaveLength(1);
  });
});

describe('threads and DMs', () => {
  it('reviews go into one thread per channel message (started once), and under the message in a DM', async () => {
    const { instance } = discordPlugin();
    const card = testCard();
    const review = {
      author: 'alice',
      submittedBy: 'alice',
      decision: 'APPROVED' as const,
      reason: 'ok',
      roles: [],
      created: new Date().toISOString(),
    };
    const inChannel = await instance.deliver({ id: ops, kind: 'channel', audience: 'reviewer' }, card, {
      deliveryId: 'd-thread',
      attempt: 1,
      mayHaveBeenSent: false,
    });
    await instance.reply!({ id: ops, kind: 'channel', audience: 'reviewer' }, inChannel, review, card, {
      deliveryId: 'd-thread.r0',
      attempt: 1,
      mayHaveBeenSent: false,
    });
    await instance.reply!(
      { id: ops, kind: 'channel', audience: 'reviewer' },
      inChannel,
      { ...review, author: 'dave' },
      card,
      {
        deliveryId: 'd-thread.r1',
        attempt: 1,
        mayHaveBeenSent: false,
      },
    );
    const messageId = String(inChannel.message_id);
    expect(fake.channels.get(messageId)).toMatchObject({ type: 11, parent_id: ops });
    expect(fake.threadMessages(messageId).map((m) => m.content.split(' ')[0])).toEqual([
      '**alice**',
      '**dave**',
    ]);
    expect(fake.callsTo('POST /channels/:id/messages/:id/threads', { okOnly: true })).toHaveLength(1);
    // A reminder goes into the same thread, with no user text in it.
    await instance.remind!({ id: ops, kind: 'channel', audience: 'reviewer' }, inChannel, card, {
      deliveryId: 'd-thread.m0',
      attempt: 1,
      mayHaveBeenSent: false,
    });
    expect(fake.threadMessages(messageId).at(-1)!.content).toMatch(
      /^⏰ Still waiting for a review after \d+ min\. Approve or deny with the buttons above, or `accessbot request review/,
    );

    const dm = await instance.deliver({ id: alice, kind: 'user', audience: 'reviewer' }, card, {
      deliveryId: 'd-dm',
      attempt: 1,
      mayHaveBeenSent: false,
    });
    expect(dm.channel_id).toBe(fake.dmChannelOf(alice));
    await instance.reply!({ id: alice, kind: 'user', audience: 'reviewer' }, dm, review, card, {
      deliveryId: 'd-dm.r0',
      attempt: 1,
      mayHaveBeenSent: false,
    });
    expect(fake.repliesTo(String(dm.message_id)).map((m) => m.content.split(' ')[0])).toEqual(['**alice**']);
  });

  it('a review whose answer was lost is found by its ref line on the retry, in a thread and in a DM', async () => {
    const { instance } = discordPlugin();
    fake.nonceWindowMs = 0; // only the look-up may prevent a second message
    try {
      const card = testCard();
      const review = {
        author: 'carol',
        submittedBy: 'carol',
        decision: 'DENIED' as const,
        reason: 'no',
        roles: [],
        created: new Date().toISOString(),
      };
      for (const target of [
        { id: ops, kind: 'channel', audience: 'reviewer' },
        { id: alice, kind: 'user', audience: 'reviewer' },
      ] satisfies Target[]) {
        const ref = await instance.deliver(target, card, {
          deliveryId: `d-lost-${target.kind}`,
          attempt: 1,
          mayHaveBeenSent: false,
        });
        const where = target.kind === 'user' ? ref.channel_id : ref.message_id;
        const written = () =>
          target.kind === 'user' ? fake.repliesTo(ref.message_id) : fake.threadMessages(ref.message_id);
        // The thread is started by the first try; its post lands but the answer is lost.
        fake.loseNextAnswers(1, { channels: [where] });
        const lost = await refusal(
          instance.reply!(target, ref, review, card, {
            deliveryId: `d-lost-${target.kind}.r0`,
            attempt: 1,
            mayHaveBeenSent: false,
          }),
        );
        expect(lost.kind).toBe('transient');
        expect(written()).toHaveLength(1);
        await instance.reply!(target, ref, review, card, {
          deliveryId: `d-lost-${target.kind}.r0`,
          attempt: 2,
          mayHaveBeenSent: true,
        });
        expect(written()).toHaveLength(1);
        // A different delivery (the next review) is posted, not taken for the first.
        await instance.reply!(target, ref, { ...review, author: 'dave' }, card, {
          deliveryId: `d-lost-${target.kind}.r1`,
          attempt: 1,
          mayHaveBeenSent: true,
        });
        expect(written().map((m) => m.content.split(' ')[0])).toEqual(['**carol**', '**dave**']);
      }
    } finally {
      fake.nonceWindowMs = 5 * 60_000;
    }
  });
});
