// Slack: access requests as Block Kit messages in channels and DMs, Approve/Deny buttons
// that open a reason dialog and submit a review as the clicker, one thread reply per review,
// and live edits of every copy as the request changes. See README.md.

import { definePlugin, type PluginInstance, requestMemoSeconds } from '../../src/plugin-sdk/index.js';
import { createWebClient, slackCall } from './client.js';
import { botToken, type SlackConfig, slackConfigSchema } from './config.js';
import { interactionRoute } from './http-route.js';
import { SlackInteractions } from './interactions.js';
import { SlackMessages, type SlackRef } from './messages.js';
import { resolveRecipient } from './recipients.js';
import { type SocketModeConnection, startSocketMode } from './socket-mode.js';

export interface SlackPluginInstance extends PluginInstance<SlackRef> {
  /** Resolves when every interaction started so far has been fully handled. */
  idle(): Promise<void>;
}

export default definePlugin<typeof slackConfigSchema, SlackRef>({
  id: 'slack',
  description: 'Slack: requests in channels and DMs, approve and deny in the thread, live message updates',
  configSchema: slackConfigSchema,
  traits: { directMessages: true },
  async create(ctx): Promise<SlackPluginInstance> {
    const config: SlackConfig = ctx.config;
    const client = createWebClient(botToken(config), config.api_url, config.timeout_ms, ctx.log);
    const messages = new SlackMessages(
      client,
      ctx.kv,
      { reasonMaxLength: config.reason_max_length, buttons: config.interactions !== 'none' },
      ctx.log,
      requestMemoSeconds(ctx),
    );
    const interactions = new SlackInteractions(client, ctx);
    let socket: SocketModeConnection | undefined;
    if (config.interactions === 'socket') {
      socket = await startSocketMode(config.app_token!, config.api_url, interactions, ctx.log);
    }

    return {
      async healthCheck() {
        await slackCall('auth.test', () => client.auth.test());
      },
      resolveRecipient: (raw, audience) => resolveRecipient(client, raw, audience),
      async deliver(target, card, delivery) {
        const ref = await messages.post(target, card, delivery);
        return { channel: ref.channel, ts: ref.ts };
      },
      async update(target, ref, card) {
        await messages.edit(target, ref, card);
        return undefined;
      },
      async reply(_target, ref, review, card, delivery) {
        await messages.threadReply(ref, review, card, delivery);
      },
      async notifyOutcome(_target, ref, card, delivery) {
        await messages.outcomeNotice(ref, card, delivery);
      },
      async withdraw(target, ref, card) {
        await messages.withdrawn(target, ref, card);
      },
      async remind(_target, ref, card, delivery) {
        await messages.threadReminder(ref, card, delivery);
      },
      routes: () => (config.interactions === 'http' ? [interactionRoute(ctx, interactions)] : []),
      idle: () => interactions.idle(),
      async close() {
        await socket?.stop();
        await interactions.idle();
      },
    };
  },
});
