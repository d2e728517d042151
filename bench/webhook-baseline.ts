// The chat-plugin benches (slack, teams, discord, mattermost, email) measure each platform beside
// the webhook plugin fed by the same requests in the same run. These loops are that shared
// measurement: create → first message on both, and a signed webhook decision → its update.

import type { HttpAccessClient } from '../src/client/http-access-client.js';
import { postSignedDecision, type Receiver } from '../test/support/receiver.js';
import type { TestStack } from '../test/support/stack.js';
import { until } from './stats.js';

/** The webhook plugin's signing secret in every chat-plugin bench. */
export const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789';
/** Requests created before the measured ones (connections and JIT warm). */
const WARM_UPS = 5;

export interface CreateTimings {
  /** Every request created, warm-ups first. */
  ids: string[];
  /** ms from the create call to the platform's message, per measured request. */
  toPlatform: number[];
  /** ms from the create call to the webhook receiver's `request.posted`, same requests. */
  toWebhook: number[];
}

/**
 * Creates `count` requests (after the warm-ups) one at a time and waits for each on the platform
 * (`postedAt` of what `find` returns, ms since the epoch) and at the webhook receiver.
 */
export async function timeCreates<M>(opts: {
  requester: HttpAccessClient;
  receiver: Receiver;
  count: number;
  /** What the wait names when it times out, e.g. `slack root message`. */
  what: string;
  find: (requestId: string) => M | undefined;
  postedAt: (message: M) => number;
}): Promise<CreateTimings> {
  const timings: CreateTimings = { ids: [], toPlatform: [], toWebhook: [] };
  for (let i = 0; i < opts.count + WARM_UPS; i++) {
    const start = Date.now();
    const req = await opts.requester.createRequest({ roles: ['dba'], reason: `bench ${i}` });
    const message = await until(() => opts.find(req.id), opts.what);
    const hook = await until(
      () => opts.receiver.deliveries().find((d) => d.requestId === req.id && d.event === 'request.posted'),
      'webhook delivery',
    );
    timings.ids.push(req.id);
    if (i < WARM_UPS) continue;
    timings.toPlatform.push(opts.postedAt(message) - start);
    timings.toWebhook.push(hook.at - start);
  }
  return timings;
}

/** ms from a signed webhook approval by alice to the receiver seeing the request with a review. */
export async function timeWebhookDecision(
  stack: TestStack,
  receiver: Receiver,
  requestId: string,
): Promise<number> {
  const decided = Date.now();
  const res = await postSignedDecision(stack.hookUrl('webhook', '/'), WEBHOOK_SECRET, {
    request_id: requestId,
    action: 'approve',
    reason: 'bench',
    person: { email: 'alice@example.com' },
  });
  if (res.status !== 200) throw new Error(`bench: webhook decision answered ${res.status}`);
  const seen = await until(
    () => receiver.deliveries().find((d) => d.requestId === requestId && d.card.reviews.length > 0),
    'webhook update with the review',
  );
  return seen.at - decided;
}
