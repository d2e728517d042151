// Mattermost: access requests as posts with Approve/Deny buttons in channels and in direct
// channels with the bot, a reason dialog that submits a review as the clicker, one thread reply
// per review, and live edits of every copy as the request changes. See README.md.

import { definePlugin, type PluginInstance, permanent } from '../../src/plugin-sdk/index.js';
import { MattermostClient, mattermostCall } from './client.js';
import { botToken, type MattermostConfig, mattermostConfigSchema } from './config.js';
import { MattermostInteractions } from './interactions.js';
import { MattermostMessages, type MattermostRef } from './messages.js';
import { resolveRecipient } from './recipients.js';

export default definePlugin<typeof mattermostConfigSchema, MattermostRef>({
  id: 'mattermost',
  description:
    'Mattermost: requests in channels and direct messages, approve or deny with a reason through a button and a dialog',
  configSchema: mattermostConfigSchema,
  traits: { directMessages: true },
  create(ctx): PluginInstance<MattermostRef> {
    const config: MattermostConfig = ctx.config;
    const client = new MattermostClient(config.url, botToken(config), config.timeout_ms);
    const interactive = config.interactions === 'http';
    const callbackBase = (
      config.callback_url ?? (ctx.publicUrl ? `${ctx.publicUrl}/hooks/${ctx.id}` : '')
    ).replace(/\/+$/, '');
    if (interactive && !callbackBase) {
      throw permanent(
        'mattermost: buttons need a URL Mattermost can post clicks to: set host.public_url or plugins.mattermost.callback_url (or interactions: none)',
      );
    }
    const messages = new MattermostMessages(client, ctx.kv, {
      reasonMaxLength: config.reason_max_length,
      buttons: interactive,
      ...(interactive ? { callbackBase, actionSecret: config.action_secret! } : {}),
    });
    const interactions = interactive
      ? new MattermostInteractions(client, ctx, config.action_secret!, callbackBase)
      : undefined;

    return {
      async healthCheck() {
        await mattermostCall('getMe', () => client.getMe());
      },
      resolveRecipient: (raw, audience) => resolveRecipient(client, raw, audience, ctx),
      deliver: (target, card, delivery) => messages.post(target, card, delivery),
      async update(target, ref, card) {
        await messages.edit(target, ref, card);
        return undefined;
      },
      reply: (_target, ref, review, _card, delivery) => messages.threadReply(ref, review, delivery),
      remind: (_target, ref, card, delivery) => messages.threadReminder(ref, card, delivery),
      notifyOutcome: (_target, ref, card, delivery) => messages.outcomeNotice(ref, card, delivery),
      withdraw: (target, ref, card) => messages.withdrawn(target, ref, card),
      routes: () => interactions?.routes() ?? [],
    };
  },
});
