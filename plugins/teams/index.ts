// Microsoft Teams on the Microsoft 365 Agents SDK: an Adaptive Card per request in channels and
// 1:1 chats, approve or deny with a reason inside the card (the review is submitted as the
// clicker and the API decides), the card updated for everyone on every change, a reply per
// review in the card's thread. See README.md.

import { ActivityTypes } from '@microsoft/agents-activity';
import type { ConnectorClient, TurnContext } from '@microsoft/agents-hosting';
import { definePlugin, type PluginInstance, requestMemoSeconds } from '../../src/plugin-sdk/index.js';
import type { CardOptions } from './card.js';
import { MAX_REVIEW_REASON, type TeamsConfig, teamsConfigSchema } from './config.js';
import { connectorRunner, createAdapter } from './connector.js';
import { Conversations } from './conversations.js';
import { clickOf, TeamsDecisions } from './decisions.js';
import { GraphLookup } from './graph.js';
import { messagesRoute } from './inbound-route.js';
import { manifestCommand } from './manifest-command.js';
import { asTeamsRef, TeamsMessages, type TeamsRef } from './messages.js';
import { resolveTarget } from './targets.js';

export interface TeamsPluginInstance extends PluginInstance<TeamsRef> {
  /** Resolves when every decision started so far has finished. */
  idle(): Promise<void>;
}

export default definePlugin<typeof teamsConfigSchema, TeamsRef>({
  id: 'teams',
  description:
    'Microsoft Teams: Adaptive Cards in channels and chats, approve or deny in the card, updated for everyone',
  configSchema: teamsConfigSchema,
  traits: { directMessages: true },
  commands: [manifestCommand],
  create(ctx): TeamsPluginInstance {
    const config: TeamsConfig = ctx.config;
    const adapter = createAdapter(config);
    // Turn errors are the plugin's to log; the SDK's default handler would also post them.
    adapter.onTurnError = async (_context, err) => {
      ctx.log.error({ err: String(err) }, 'teams: activity handling failed');
    };
    const connector = connectorRunner(adapter, config.app_id);
    const conversations = new Conversations(config, ctx.kv, connector, ctx.log);
    const cardOptions: CardOptions = {
      reasonMaxLength: config.reason_max_length,
      denyReasonRequired: config.deny_reason === 'required',
      reviewReasonMax: MAX_REVIEW_REASON,
    };
    const graph = new GraphLookup(adapter, config, ctx.log);
    const messages = new TeamsMessages(
      connector,
      conversations,
      graph,
      ctx.kv,
      cardOptions,
      requestMemoSeconds(ctx),
    );
    const decisions = new TeamsDecisions(ctx, conversations, cardOptions, adapter.ConnectorClientKey);

    async function onTurn(context: TurnContext): Promise<void> {
      const activity = context.activity;
      if (
        activity.type === ActivityTypes.InstallationUpdate ||
        activity.type === ActivityTypes.ConversationUpdate
      ) {
        await conversations.learn(
          activity,
          context.turnState.get<ConnectorClient>(adapter.ConnectorClientKey),
        );
        return;
      }
      const click = clickOf(activity);
      if (click) await decisions.handle(context, click);
      else if (activity.type === ActivityTypes.Invoke && activity.name === 'adaptiveCard/action') {
        // Not one of our buttons (another card, or data we did not write): say so, not 501.
        await context.sendActivity({
          type: ActivityTypes.InvokeResponse,
          value: {
            status: 200,
            body: {
              statusCode: 400,
              type: 'application/vnd.microsoft.error',
              value: { code: 'BadRequest', message: 'not an accessbot action' },
            },
          },
        } as never);
      }
    }

    return {
      async healthCheck() {
        // A token for the Bot Connector proves the credentials (or the sidecar) work.
        await connector(config.service_url, 'get a token', async () => undefined);
        if (conversations.unreachable.size > 0) {
          throw new Error([...conversations.unreachable.values()].join('; '));
        }
      },
      resolveRecipient: async (raw, audience) => resolveTarget(raw, audience),
      deliver: (target, card, delivery) => messages.post(target, card, delivery),
      async update(_target, ref, card) {
        await messages.edit(asTeamsRef(ref as never), card);
        return undefined;
      },
      async reply(_target, ref, review, _card, delivery) {
        await messages.reviewReply(asTeamsRef(ref as never), review, delivery);
      },
      async remind(_target, ref, card, delivery) {
        await messages.reminder(asTeamsRef(ref as never), card, delivery);
      },
      async notifyOutcome(_target, ref, card, delivery) {
        await messages.outcome(asTeamsRef(ref as never), card, delivery);
      },
      async withdraw(_target, ref, card) {
        await messages.edit(asTeamsRef(ref as never), card, true);
      },
      routes: () => [messagesRoute(ctx, adapter, onTurn)],
      idle: () => decisions.idle(),
      async close() {
        await decisions.idle();
      },
    };
  },
});
