// The Discord plugin against the fake Discord API (test/fakes/discord): messages are embeds in
// #ops, in a channel given by id and in the requester's DM; replies are the messages of the
// thread started on each channel message (replies under the message in DMs); a decision is the
// real flow, a signed button click, the modal it answers with, and the signed modal submission,
// answered with the updated message (type 7) or an ephemeral refusal.

import { generateKeyPairSync } from 'node:crypto';
import discordPlugin from '../../plugins/discord/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import {
  buttonActions,
  FakeDiscordInteractions,
  type InteractionResult,
} from '../fakes/discord/interactions.js';
import { FakeDiscord, type FakeDiscordMessage } from '../fakes/discord/server.js';
import { waitFor } from '../support/stack.js';
import type {
  ConformanceAdapter,
  ConformanceUser,
  DecisionAnswer,
  DecisionArgs,
  PlatformFake,
  PlatformMessage,
} from './adapter.js';
import { describeConformance } from './suite.js';

/** The platform calls that write what people see; faults are aimed at these only. */
const WRITES = ['POST /channels/:id/messages', 'PATCH /channels/:id/messages/:id'];
const STATES = /\b(PENDING|APPROVED|DENIED|EXPIRED|WITHDRAWN)\b/;

const footerOf = (m: FakeDiscordMessage) =>
  String((m.embeds[0]?.footer as { text?: string } | undefined)?.text ?? '');

function statusOf(message: FakeDiscordMessage): string {
  return STATES.exec(String(message.embeds[0]?.title ?? ''))?.[1] ?? 'UNKNOWN';
}

/** What the person who decided saw: the ephemeral sentence, or the message updated in place. */
function shownOf(result: InteractionResult): string {
  if (result.shown.ephemeral) return result.shown.ephemeral;
  if (result.shown.updated) return 'the message was updated';
  return result.shown.failed ?? JSON.stringify(result.body);
}

async function startDiscordFake(users: ConformanceUser[]): Promise<PlatformFake> {
  const fake = await new FakeDiscord().start();
  const interactions = new FakeDiscordInteractions(fake);
  fake.addChannel('ops');
  const security = fake.addChannel('security');
  const idOf = new Map(users.map((u) => [u.name, fake.addUser(u.name).id]));

  /** Root messages about the request (not thread messages or replies). */
  const roots = (requestId: string) =>
    fake.messages.filter(
      (m) =>
        m.embeds.length > 0 &&
        !m.message_reference &&
        fake.channels.get(m.channel_id)?.type !== 11 &&
        footerOf(m).includes(requestId),
    );

  const reviewerMessage = (requestId: string) =>
    waitFor(
      () => roots(requestId).find((m) => buttonActions(m).length > 0),
      15_000,
      `a message of ${requestId} with buttons`,
    );

  /** A modal submission for a modal the person never opened, as someone forging one would send. */
  const handMadeSubmission = async (args: DecisionArgs) => {
    const message = await reviewerMessage(args.requestId);
    const user = fake.users.get(idOf.get(args.user)!)!;
    return {
      id: fake.snowflake(),
      application_id: fake.applicationId,
      type: 5,
      token: 'forged-interaction-token',
      version: 1,
      guild_id: fake.guildId,
      channel_id: message.channel_id,
      member: { user: fake.userJson(user), roles: [] },
      message: fake.messageJson(message),
      data: {
        custom_id: `accessbot:modal:${args.action}:${args.requestId}`,
        components: [
          { type: 18, id: 1, component: { type: 4, id: 2, custom_id: 'reason', value: args.reason } },
        ],
      },
    };
  };

  const submitUnverified = async (
    hookUrl: (path: string) => string,
    args: DecisionArgs,
    sign: { forger?: boolean; timestampSeconds?: number },
  ): Promise<DecisionAnswer> => {
    interactions.endpoint = hookUrl('/interactions');
    const forger = sign.forger ? generateKeyPairSync('ed25519').privateKey : undefined;
    const result = await interactions.send(await handMadeSubmission(args), {
      ...(forger ? { key: forger } : {}),
      ...(sign.timestampSeconds ? { timestampSeconds: sign.timestampSeconds } : {}),
    });
    return { status: result.status, shown: JSON.stringify(result.body) };
  };

  return {
    pluginConfig: {
      token: fake.token,
      public_key: interactions.publicKeyHex,
      guild_id: fake.guildId,
      api_url: fake.apiUrl,
    },
    // One channel by name, one by id, as admins write both.
    reviewerRecipients: ['#ops', security],
    traitsFor: (name) => ({ discord_id: [idOf.get(name)!] }),
    async messages(requestId): Promise<PlatformMessage[]> {
      return roots(requestId).map((m) => ({
        id: m.id,
        target: m.channel_id,
        status: statusOf(m),
        actions: buttonActions(m),
        text: `${m.content}\n${JSON.stringify(m.embeds)}`,
      }));
    },
    async replies(requestId) {
      return roots(requestId).flatMap((root) =>
        [...fake.threadMessages(root.id), ...fake.repliesTo(root.id)].map((r) => r.content),
      );
    },
    failNext: (n) => fake.failNext(n, { routes: WRITES }),
    rateLimitNext: (n, seconds) => fake.rateLimitNext(n, seconds, { routes: WRITES }),
    loseNextAnswers: (n) => fake.loseNextAnswers(n),
    unusedFaults: () => fake.unusedFaults(),
    decisions: {
      async decide(hookUrl, args) {
        interactions.endpoint = hookUrl('/interactions');
        const message = await reviewerMessage(args.requestId);
        const click = await interactions.click(message, idOf.get(args.user)!, args.action);
        if (!click.shown.modal) return { status: click.status, shown: shownOf(click) };
        const submit = await interactions.submit(click.shown.modal, args.reason);
        return { status: submit.status, shown: shownOf(submit) };
      },
      forged: (hookUrl, args) => submitUnverified(hookUrl, args, { forger: true }),
      stale: (hookUrl, args) =>
        submitUnverified(hookUrl, args, { timestampSeconds: Math.floor(Date.now() / 1000) - 3600 }),
    },
    stop: () => fake.stop(),
  };
}

export const discordAdapter: ConformanceAdapter = {
  id: 'discord',
  definition: discordPlugin as unknown as PluginDefinition,
  startFake: startDiscordFake,
};

describeConformance(discordAdapter, { replies: true, lostAnswers: true, decisions: true });
