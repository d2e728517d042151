// Discord: access requests as embeds in server channels and DMs, Approve/Deny buttons that open
// a reason modal and submit a review as the clicker (through the HTTP interactions endpoint,
// no gateway), one thread per request holding one message per review, and live edits of every
// copy as the request changes. See README.md.

import { definePlugin, type PluginInstance } from '../../src/plugin-sdk/index.js';
import { DiscordClient } from './client.js';
import { botToken, type DiscordConfig, discordConfigSchema } from './config.js';
import { interactionRoute } from './http-route.js';
import { DiscordInteractions } from './interactions.js';
import { asDiscordRef, DiscordMessages } from './messages.js';
import { DiscordRecipients } from './recipients.js';
import { publicKeyFromHex } from './verify.js';

export interface DiscordPluginInstance extends PluginInstance {
  /** Resolves when every deferred interaction answer started so far has been sent. */
  idle(): Promise<void>;
}

export default definePlugin({
  id: 'discord',
  description:
    'Discord: requests in channels and DMs, approve or deny with a reason from a button and a modal',
  configSchema: discordConfigSchema,
  capabilities: { threadedReplies: true, inboundDecisions: true, autoReview: false, directMessages: true },
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
      async deliver(target, card, delivery) {
        const ref = await messages.post(target, card, delivery);
        return { ...ref };
      },
      async update(target, ref, card) {
        await messages.edit(target, asDiscordRef(ref), card);
        return undefined;
      },
      async reply(_target, ref, review, card, delivery) {
        await messages.reply(asDiscordRef(ref), review, card, delivery);
      },
      async remind(_target, ref, card, delivery) {
        await messages.remind(asDiscordRef(ref), card, delivery);
      },
      async withdraw(target, ref, card) {
        await messages.withdrawn(target, asDiscordRef(ref), card);
      },
      routes: () => [interactionRoute(ctx, publicKey, interactions)],
      idle: () => interactions.idle(),
      async close() {
        await interactions.idle();
      },
    };
  },
});
