// The webhook signature, the same both ways: `X-Accessbot-Signature: v1=<hex>` where hex is
// HMAC-SHA256(secret, `<X-Accessbot-Timestamp>.<raw body>`), timestamp in unix seconds.
import { hmacSha256Hex, safeEqual, withinReplayWindow } from '../../src/plugin-sdk/index.js';

export const SIGNATURE_HEADER = 'x-accessbot-signature';
export const TIMESTAMP_HEADER = 'x-accessbot-timestamp';
export const DELIVERY_HEADER = 'x-accessbot-delivery';
export const EVENT_HEADER = 'x-accessbot-event';

export function sign(secret: string, timestamp: string, body: string | Buffer): string {
  return `v1=${hmacSha256Hex(secret, timestamp, '.', body)}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'forged' };

export function verify(
  secret: string,
  headers: Record<string, string | undefined>,
  rawBody: Buffer,
  windowSeconds: number,
  nowMs = Date.now(),
): SignatureCheck {
  const signature = headers[SIGNATURE_HEADER];
  const timestamp = headers[TIMESTAMP_HEADER];
  if (!signature || !timestamp) return { ok: false, reason: 'missing' };
  // Checked before the HMAC: a correctly signed old request is still a replay.
  if (!/^\d{1,12}$/.test(timestamp) || !withinReplayWindow(timestamp, windowSeconds, nowMs)) {
    return { ok: false, reason: 'stale' };
  }
  return safeEqual(signature, sign(secret, timestamp, rawBody))
    ? { ok: true }
    : { ok: false, reason: 'forged' };
}
