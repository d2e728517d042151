// Posts a signed card to a receiver. Each delivery carries the host's deterministic delivery
// id, the same on every retry, so a receiver that remembers ids sees every message once.
// No retries here: the host's queue retries with backoff and honours Retry-After.

import { type Card, errorFromHttpStatus, transient } from '../../src/plugin-sdk/index.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign, TIMESTAMP_HEADER } from './signature.js';

export type WebhookEvent = 'request.posted' | 'request.updated';

export interface WebhookPayload {
  event: WebhookEvent;
  delivery: string;
  card: Card;
}

export async function sendCard(
  url: string,
  secret: string,
  timeoutMs: number,
  payload: WebhookPayload,
  nowMs = Date.now(),
): Promise<void> {
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(nowMs / 1000));
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'accessbot-webhook',
        [EVENT_HEADER]: payload.event,
        [DELIVERY_HEADER]: payload.delivery,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: sign(secret, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw transient(
      `webhook ${new URL(url).host} unreachable: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
  // Drain the body so the keep-alive connection is reused.
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) {
    throw errorFromHttpStatus(
      res.status,
      `webhook ${new URL(url).host} answered ${res.status}`,
      res.headers.get('retry-after'),
    );
  }
}
