// Interactions through the plugin's own route, served on 127.0.0.1 and sent exactly as Discord
// sends them (Ed25519-signed), with the real @discordjs/rest against the fake Discord for the
// webhook follow-ups: what reaches the host's `decide`, and what the clicker sees, including
// decisions slower than Discord's 3 seconds.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../src/plugin-sdk/index.js';
import { serveRoute } from '../../test/fakes/discord/endpoint.js';
import { FakeDiscordInteractions, INTERACTION_DEADLINE_MS } from '../../test/fakes/discord/interactions.js';
import { FakeDiscord, type FakeDiscordMessage } from '../../test/fakes/discord/server.js';
import plugin, { type DiscordPluginInstance } from './index.js';
import { ANSWER_BUDGET_MS } from './interactions.js';
import { type TestContext, testCard, testContext } from './test-context.js';

let fake: FakeDiscord;
let discord: FakeDiscordInteractions;
let ops: string;
let alice: string;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  fake = await new FakeDiscord().start();
  discord = new FakeDiscordInteractions(fake);
  ops = fake.addChannel('ops');
  alice = fake.addUser('alice').id;
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await fake.stop();
});

interface Rig {
  t: TestContext;
  instance: DiscordPluginInstance;
  /** A reviewer message of a new pending request, posted through the plugin. */
  message(): Promise<FakeDiscordMessage>;
}

async function rig(over: Record<string, unknown> = {}): Promise<Rig> {
  const config = plugin.configSchema.parse({
    token: fake.token,
    public_key: discord.publicKeyHex,
    guild_id: fake.guildId,
    api_url: fake.apiUrl,
    ...over,
  });
  const t = testContext(config);
  const instance = plugin.create(t.ctx) as DiscordPluginInstance;
  const served = await serveRoute(instance.routes!()[0]!);
  stops.push(served.stop);
  discord.endpoint = served.url;
  const target: Target = { id: ops, kind: 'channel', audience: 'reviewer' };
  return {
    t,
    instance,
    async message() {
      const card = testCard();
      t.cards.set(card.requestId, card);
      const ref = await instance.deliver(target, card, {
        deliveryId: `d-${card.requestId}`,
        attempt: 1,
        mayHaveBeenSent: false,
      });
      return fake.message(String(ref.message_id))!;
    },
  };
}

describe('answers within 3 seconds', () => {
  it('PING → PONG; a click → the modal; a submission → one decision as the mapped person and the updated message', async () => {
    const { t, message } = await rig();
    expect((await discord.ping()).body).toEqual({ type: 1 });
    const posted = await message();
    const click = await discord.click(posted, alice, 'deny');
    expect(click.shown.modal?.data).toMatchObject({ title: 'Deny access request' });
    const card = t.cards.get(t.cards.keys().next().value!)!;
    t.nextOutcome = () => ({ kind: 'done', message: 'ok', card: { ...card, state: 'DENIED', actions: [] } });
    const submit = await discord.submit(click.shown.modal!, '  no window  ');
    expect(submit.body.type).toBe(7);
    expect(t.decisions).toEqual([
      {
        requestId: card.requestId,
        action: 'deny',
        reason: 'no window',
        person: { trait: 'discord_id', value: alice },
        personLabel: '@alice',
      },
    ]);
    const updated = fake.message(posted.id)!;
    expect(String(updated.embeds[0]!.title)).toMatch(/DENIED/);
    expect(updated.components).toEqual([]);
    // The footer's key survives the update, so a later look-up still finds the message.
    expect(JSON.stringify(updated.embeds[0]!.footer)).toBe(JSON.stringify(posted.embeds[0]!.footer));
  });

  it('by username, the clicker is looked up by the discord_username trait', async () => {
    const { t, message } = await rig({ user_mapping: { by: 'username' } });
    const click = await discord.click(await message(), alice, 'approve');
    await discord.submit(click.shown.modal!, 'fine');
    expect(t.decisions[0]!.person).toEqual({ trait: 'discord_username', value: 'alice' });
  });

  it('a decision slower than the budget is acknowledged in time and finished through the interaction webhook', async () => {
    const { t, instance, message } = await rig();
    const posted = await message();
    const click = await discord.click(posted, alice, 'approve');
    const card = t.cards.get(t.cards.keys().next().value!)!;
    t.decideDelayMs = ANSWER_BUDGET_MS + 800;
    t.nextOutcome = () => ({
      kind: 'done',
      message: 'ok',
      card: { ...card, state: 'APPROVED', actions: [] },
    });
    const submit = await discord.submit(click.shown.modal!, 'slow but fine');
    expect(submit.shown.failed).toBeUndefined();
    expect(submit.ms).toBeLessThan(INTERACTION_DEADLINE_MS);
    expect(submit.body).toEqual({ type: 6 });
    await instance.idle();
    const edited = fake.message(posted.id)!;
    expect(edited.history.at(-1)!.via).toBe('interaction');
    expect(String(edited.embeds[0]!.title)).toMatch(/APPROVED/);

    // A slow refusal arrives as an ephemeral follow-up.
    const again = await discord.click(await message(), alice, 'approve');
    t.nextOutcome = () => ({ kind: 'not_allowed', message: 'alice may not review this request.' });
    const refused = await discord.submit(again.shown.modal!, 'slow refusal');
    expect(refused.body).toEqual({ type: 6 });
    await instance.idle();
    expect(fake.ephemerals.at(-1)).toMatchObject({
      userId: alice,
      content: '⚠️ alice may not review this request.',
    });
  }, 20_000);
});

describe('refusals without a decision', () => {
  it('a required reason left empty, a too long reason, a click from another server', async () => {
    const { t, message } = await rig({ review_reason: 'required' });
    const posted = await message();
    const modal = (await discord.click(posted, alice, 'approve')).shown.modal!;
    expect(modal.data).toMatchObject({ components: [{ component: { required: true } }] });
    expect((await discord.submit(modal, '   ')).shown.ephemeral).toMatch(/^⚠️ A reason is required/);
    const again = (await discord.click(posted, alice, 'approve')).shown.modal!;
    expect((await discord.submit(again, 'x'.repeat(1501))).shown.ephemeral).toMatch(
      /at most 1500 characters/,
    );
    const foreign = await discord.send({
      id: fake.snowflake(),
      application_id: fake.applicationId,
      type: 3,
      token: 't',
      version: 1,
      guild_id: fake.snowflake(),
      channel_id: ops,
      member: { user: { id: alice, username: 'alice' } },
      message: fake.messageJson(posted),
      data: { custom_id: `accessbot:approve:${t.cards.keys().next().value}`, component_type: 2 },
    });
    expect(foreign.shown.ephemeral).toMatch(/only in its own server/);
    expect(t.decisions).toEqual([]);
  });

  it('a click on a request that is already resolved is told so, with no modal', async () => {
    const { t, message } = await rig();
    const posted = await message();
    const id = t.cards.keys().next().value!;
    t.cards.set(id, { ...t.cards.get(id)!, state: 'EXPIRED' });
    const click = await discord.click(posted, alice, 'approve');
    expect(click.shown.modal).toBeUndefined();
    expect(click.shown.ephemeral).toBe('⚠️ This request is already ⌛ EXPIRED; nothing to review.');
  });
});
