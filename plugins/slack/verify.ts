// Slack's request signing: `X-Slack-Signature: v0=<hex HMAC-SHA256("v0:{ts}:{raw body}")>` with
// the app's signing secret, and `X-Slack-Request-Timestamp`. Checked on the raw bytes before
// anything is parsed; the timestamp must be within the replay window in both directions
// (Bolt only refuses stale ones).

import { hmacSha256Hex, safeEqual, withinReplayWindow } from '../../src/plugin-sdk/index.js';

export type VerifyResult =
  | { ok: true; signature: string }
  | { ok: false; code: 'INVALID_SIGNATURE' | 'STALE_REQUEST'; why: string };

export function verifySlackSignature(
  headers: Record<string, string | undefined>,
  rawBody: Buffer,
  signingSecret: string,
  windowSeconds: number,
  nowMs = Date.now(),
): VerifyResult {
  const timestamp = headers['x-slack-request-timestamp'];
  const signature = headers['x-slack-signature'];
  if (!timestamp || !signature)
    return { ok: false, code: 'INVALID_SIGNATURE', why: 'missing Slack signature headers' };
  if (!/^\d{1,12}$/.test(timestamp) || !withinReplayWindow(timestamp, windowSeconds, nowMs)) {
    return { ok: false, code: 'STALE_REQUEST', why: 'timestamp outside the replay window' };
  }
  const expected = `v0=${hmacSha256Hex(signingSecret, 'v0:', timestamp, ':', rawBody)}`;
  if (!safeEqual(signature, expected))
    return { ok: false, code: 'INVALID_SIGNATURE', why: 'signature mismatch' };
  return { ok: true, signature };
}
