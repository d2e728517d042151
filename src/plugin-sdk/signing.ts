// Signature helpers shared by inbound routes and outbound signed payloads.
// Every comparison is constant-time; every window check looks both ways (stale and future).

import { createHmac, timingSafeEqual } from 'node:crypto';

export function hmacSha256Hex(secret: string | Buffer, ...parts: (string | Buffer)[]): string {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest('hex');
}

/** Constant-time string comparison; false on any length mismatch. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}

/**
 * True when a unix timestamp (seconds) lies within `windowSeconds` of now, in either direction.
 * A timestamp from the future is as suspicious as a stale one.
 */
export function withinReplayWindow(
  timestampSeconds: string | number | undefined,
  windowSeconds: number,
  nowMs = Date.now(),
): boolean {
  if (timestampSeconds === undefined || timestampSeconds === '') return false;
  const ts = Number(timestampSeconds);
  if (!Number.isFinite(ts)) return false;
  return Math.abs(nowMs / 1000 - ts) <= windowSeconds;
}
