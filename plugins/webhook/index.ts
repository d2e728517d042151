// Generic webhook: posts each request's card as signed JSON to configured URLs, posts it
// again on every change, and takes decisions back at /hooks/webhook/ signed the same way.

import { definePlugin, permanent, type Target } from '../../src/plugin-sdk/index.js';
import { webhookConfigSchema } from './config.js';
import { decisionRoute } from './decision-route.js';
import { sendCard } from './sender.js';

/** Where a card went, under which delivery id. */
type WebhookRef = { url: string; delivery: string };

export default definePlugin<typeof webhookConfigSchema, WebhookRef>({
  id: 'webhook',
  description: 'Signed JSON webhooks out, signed decisions in',
  configSchema: webhookConfigSchema,
  create(ctx) {
    const { secret, timeout_ms: timeoutMs } = ctx.config;
    return {
      async healthCheck() {},
      async resolveRecipient(raw, audience): Promise<Target> {
        const url = ctx.config.endpoints[raw] ?? raw;
        if (!/^https?:\/\//i.test(url))
          throw permanent(`"${raw}" is neither a configured webhook endpoint nor a URL`);
        return { id: url, kind: 'url', audience };
      },
      defaultRecipients: () => ctx.config.recipients,
      async deliver(target, card, delivery) {
        await sendCard(target.id, secret, timeoutMs, {
          event: 'request.posted',
          delivery: delivery.deliveryId,
          card,
        });
        return { url: target.id, delivery: delivery.deliveryId };
      },
      async withdraw(target, _ref, card, delivery) {
        await sendCard(target.id, secret, timeoutMs, {
          event: 'request.deleted',
          delivery: delivery.deliveryId,
          card,
        });
      },
      // A request still waiting for a review: the receiver decides how to nudge (host.reminders).
      async remind(target, _ref, card, delivery) {
        await sendCard(target.id, secret, timeoutMs, {
          event: 'request.reminder',
          delivery: delivery.deliveryId,
          card,
        });
      },
      async update(target, _ref, card, delivery) {
        await sendCard(target.id, secret, timeoutMs, {
          event: 'request.updated',
          delivery: delivery.deliveryId,
          card,
        });
        return undefined;
      },
      routes: () => [decisionRoute(ctx)],
    };
  },
});
