// Discord: access requests as embeds in server channels and DMs, Approve/Deny buttons that open
// a reason modal and submit a review as the clicker (through the HTTP interactions endpoint,
// no gateway), one thread per request holding one message per review, and live edits of every
// copy as the request changes. See README.md.

import { definePlugin, type PluginInstance } from '../../src/plugin-sdk/index.js';
import { DiscordClient } from './client.js';
import { botToken, type DiscordConfig, discordConfigSchema } from './config.js';
import { interactionRoute } from './http-route.js';
import { DiscordInteractions } from './interactions.js';
import { DiscordMessages, type DiscordRef } from './messages.js';
import { DiscordRecipients } from './recipients.js';
import { publicKeyFromHex } from './verify.js';

export interface DiscordPluginInstance extends PluginInstance<DiscordRef> {
  /** Resolves when every deferred interaction answer started so far has been sent. */
  idle(): Promise<void>;
}

export default definePlugin<typeof discordConfigSchema, DiscordRef>({
  id: 'discord',
  description:
    'Discord: requests in channels and DMs, approve or deny with a reason from a button and a modal',
  configSchema: discordConfigSchema,
  traits: { directMessages: true },
  create(ctx): DiscordPluginInstance {
    const config: DiscordConfig = ctx.config;
    const client = new DiscordClient(() => botToken(config), config.api_url, config.timeout_ms);
    const messages = new DiscordMessages(client, {
      reasonMaxLength: config.reason_max_length,
      threads: config.threads,
    });
    const recipients = new DiscordRecipients(client, ctx);
    const interactions = new DiscordInteractions(client, ctx);
    const publicKey = publicKeyFromHex(config.public_key);

    return {
      async healthCheck() {
        await messages.botUser();
      },
      resolveRecipient: (raw, audience) => recipients.resolve(raw, audience),
      deliver: (target, card, delivery) => messages.post(target, card, delivery),
      async update(target, ref, card) {
        await messages.edit(target, ref, card);
        return undefined;
      },
      reply: (_target, ref, review, card, delivery) => messages.reply(ref, review, card, delivery),
      remind: (_target, ref, card, delivery) => messages.remind(ref, card, delivery),
      notifyOutcome: (_target, ref, card, delivery) => messages.outcome(ref, card, delivery),
      withdraw: (target, ref, card) => messages.withdrawn(target, ref, card),
      routes: () => [interactionRoute(ctx, publicKey, interactions)],
      idle: () => interactions.idle(),
      async close() {
        await interactions.idle();
      },
    };
  },
});
