// Bearer tokens: random 32 bytes, base64url, with a recognisable prefix (secret scanners
// and humans can tell what leaked). Only the sha256 of a token is stored.

import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/types.js';

export const TOKEN_PREFIX = 'abt_';
/** The longest TTL a token may be issued with: ten years. */
export const MAX_TOKEN_TTL_MS = 3650 * 86_400_000;

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Creates a token for `user` and stores its hash; returns the token, which is shown once. */
export async function mintToken(
  store: Store,
  user: string,
  opts: { now: Date; ttlMs?: number; description?: string },
): Promise<{ token: string; expires?: string }> {
  const token = generateToken();
  const expires =
    opts.ttlMs === undefined ? undefined : new Date(opts.now.getTime() + opts.ttlMs).toISOString();
  await store.putToken({
    hash: hashToken(token),
    user,
    created: opts.now.toISOString(),
    ...(expires ? { expires } : {}),
    ...(opts.description ? { description: opts.description } : {}),
  });
  return expires ? { token, expires } : { token };
}
