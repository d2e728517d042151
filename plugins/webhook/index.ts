// Generic webhook: posts each request's card as signed JSON to configured URLs, posts it
// again on every change, and takes decisions back at /hooks/webhook/ signed the same way.

import { definePlugin, permanent, type Target } from '../../src/plugin-sdk/index.js';
import { webhookConfigSchema } from './config.js';
import { decisionRoute } from './decision-route.js';
import { sendCard } from './sender.js';

export default definePlugin({
  id: 'webhook',
  description: 'Signed JSON webhooks out, signed decisions in',
  configSchema: webhookConfigSchema,
  capabilities: { threadedReplies: false, inboundDecisions: true, autoReview: false, directMessages: false },
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
        const id = delivery?.deliveryId ?? `${card.requestId}.${target.id}`;
        await sendCard(target.id, secret, timeoutMs, { event: 'request.posted', delivery: id, card });
        return { url: target.id, delivery: id };
      },
      async withdraw(target, _ref, card, delivery) {
        const id = delivery?.deliveryId ?? `${card.requestId}.${target.id}.x`;
        await sendCard(target.id, secret, timeoutMs, { event: 'request.deleted', delivery: id, card });
      },
      // A request still waiting for a review: the receiver decides how to nudge (host.reminders).
      async remind(target, _ref, card, delivery) {
        const id = delivery?.deliveryId ?? `${card.requestId}.${target.id}.m`;
        await sendCard(target.id, secret, timeoutMs, { event: 'request.reminder', delivery: id, card });
      },
      async update(target, _ref, card, delivery) {
        const id = delivery?.deliveryId ?? `${card.requestId}.${target.id}.v${card.version}`;
        await sendCard(target.id, secret, timeoutMs, { event: 'request.updated', delivery: id, card });
        return undefined;
      },
      routes: () => [decisionRoute(ctx)],
    };
  },
});
