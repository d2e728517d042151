// Discord plugin, end to end through the real API and host (BullMQ on a private Redis): how long
// from creating a request to its Discord message, and from a reviewer's modal submission to the
// message showing the review, against the fake Discord API on 127.0.0.1 — beside the webhook
// plugin's figures for the same paths, measured in the same stack and run.

import discordPlugin from '../plugins/discord/index.js';
import webhookPlugin from '../plugins/webhook/index.js';
import type { PluginDefinition } from '../src/plugin-sdk/index.js';
import { FakeDiscordInteractions } from '../test/fakes/discord/interactions.js';
import { FakeDiscord, type FakeDiscordMessage } from '../test/fakes/discord/server.js';
import { startReceiver } from '../test/support/receiver.js';
import { startTestRedis } from '../test/support/redis.js';
import { DBA_ROLES_YAML } from '../test/support/seed-world.js';
import { startTestStack } from '../test/support/stack.js';
import { percentile, until } from './stats.js';
import type { BenchSection } from './types.js';
import { timeCreates, timeWebhookDecision, WEBHOOK_SECRET } from './webhook-baseline.js';

const N = 60;

export default async function run(): Promise<BenchSection> {
  const redis = await startTestRedis();
  process.env.ACCESSBOT_TEST_REDIS_SOCKET = redis.socket;
  const fake = await new FakeDiscord().start();
  // Discord allows 5 posts per 5 s per channel; the bench measures accessbot, not that bucket.
  fake.limits.messageLimit = { limit: 1000, windowMs: 1000 };
  const discord = new FakeDiscordInteractions(fake);
  const receiver = await startReceiver({ secret: WEBHOOK_SECRET });
  const ops = fake.addChannel('ops');
  const alice = fake.addUser('alice').id;
  const stack = await startTestStack({
    rolesYaml: DBA_ROLES_YAML,
    // The requester has no email, so each request makes exactly one Discord message and one webhook call.
    users: [
      { name: 'req', roles: ['requester'] },
      { name: 'alice', email: 'alice@example.com', roles: ['approver'], traits: { discord_id: [alice] } },
    ],
    definitions: new Map([
      ['discord', discordPlugin as unknown as PluginDefinition],
      ['webhook', webhookPlugin as unknown as PluginDefinition],
    ]),
    plugins: {
      discord: {
        token: fake.token,
        public_key: discord.publicKeyHex,
        guild_id: fake.guildId,
        api_url: fake.apiUrl,
      },
      webhook: { secret: WEBHOOK_SECRET },
    },
    routing: [{ roles: ['*'], targets: { discord: ['#ops'], webhook: [receiver.urlFor('ops')] } }],
  });
  discord.endpoint = stack.hookUrl('discord', '/interactions');
  try {
    const requester = await stack.clientFor('req');
    const rootOf = (id: string) =>
      fake.channelMessages(ops).find((m) => JSON.stringify(m.embeds[0]?.footer ?? '').includes(id)) as
        | FakeDiscordMessage
        | undefined;
    // create → message, both plugins fed by the same request.
    const {
      ids,
      toPlatform: createToDiscord,
      toWebhook: createToWebhook,
    } = await timeCreates({
      requester,
      receiver,
      count: N,
      what: 'discord message',
      find: rootOf,
      postedAt: (m) => m.postedAt,
    });

    // Discord: click, the modal opens, submitted at once; the answer (type 7) is the updated
    // message, and the host then posts the review into the thread. Webhook: a signed decision →
    // the receiver sees the review. Alternating over the requests.
    const submitToUpdated: number[] = [];
    const submitToThread: number[] = [];
    const decisionToWebhook: number[] = [];
    for (let i = 0; i + 1 < ids.length; i += 2) {
      const discordId = ids[i]!;
      const root = rootOf(discordId)!;
      const click = await discord.click(root, alice, 'approve');
      if (!click.shown.modal) throw new Error(`bench: the click answered ${JSON.stringify(click.body)}`);
      const submitAt = performance.now();
      const submitWall = Date.now();
      const submit = await discord.submit(click.shown.modal, 'bench');
      if (!submit.shown.updated)
        throw new Error(`bench: the submission answered ${JSON.stringify(submit.body)}`);
      submitToUpdated.push(performance.now() - submitAt);
      const thread = await until(() => fake.threadMessages(root.id)[0], 'thread message');
      submitToThread.push(thread.postedAt - submitWall);

      decisionToWebhook.push(await timeWebhookDecision(stack, receiver, ids[i + 1]!));
    }

    const duplicates = ids.filter(
      (id) =>
        fake.channelMessages(ops).filter((m) => JSON.stringify(m.embeds[0]?.footer ?? '').includes(id))
          .length !== 1,
    );
    const decisionP = (p: number) => ({
      name: `signed decision → webhook update p${p}`,
      value: percentile(decisionToWebhook, p),
      unit: 'ms',
    });
    return {
      title:
        'Discord plugin end to end (real API + host + Redis; fake Discord API and webhook receiver on 127.0.0.1)',
      rows: [
        {
          name: 'create → Discord message p50',
          value: percentile(createToDiscord, 50),
          unit: 'ms',
          baseline: { name: 'create → webhook p50', value: percentile(createToWebhook, 50), unit: 'ms' },
        },
        {
          name: 'create → Discord message p99',
          value: percentile(createToDiscord, 99),
          unit: 'ms',
          baseline: { name: 'create → webhook p99', value: percentile(createToWebhook, 99), unit: 'ms' },
        },
        {
          name: 'modal submit → updated message p50 (type 7 answer)',
          value: percentile(submitToUpdated, 50),
          unit: 'ms',
          baseline: decisionP(50),
        },
        {
          name: 'modal submit → updated message p99 (type 7 answer)',
          value: percentile(submitToUpdated, 99),
          unit: 'ms',
          baseline: decisionP(99),
        },
        {
          name: 'modal submit → review in the thread p99',
          value: percentile(submitToThread, 99),
          unit: 'ms',
          baseline: decisionP(99),
        },
        { name: 'requests without exactly one Discord message', value: duplicates.length, unit: 'requests' },
      ],
      notes: [
        `${N} requests after 5 warm-ups, one at a time; ${submitToUpdated.length} Discord reviews and ${decisionToWebhook.length} webhook decisions. A p99 of so few samples is close to the maximum.`,
        'Both plugins serve the same stack and the same requests, so the ratio is the Discord plugin against the simplest plugin on the same path.',
        "Discord path on create: #ops resolved once (guild channels), then one POST /channels/{id}/messages with a nonce. On review: the click is answered with the modal after a look at the request's state; the submission verifies the Ed25519 signature, submits the review through the API as the mapped person and answers with the updated message (type 7); the host then starts the thread, posts the review in it and edits the message (PATCH).",
        "The fake's per-channel message bucket is raised for the bench (Discord's is 5 per 5 s), so the figures are accessbot's, not the bucket's.",
      ],
    };
  } finally {
    await stack.stop();
    await receiver.stop();
    await fake.stop();
    await redis.stop();
  }
}
