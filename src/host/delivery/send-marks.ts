// The host's one record of which replies, reminders and outcome notices a target's message
// already got: one Redis hash per target, one field per message (`r<review>`, `m<reminder>`,
// `outcome`). Plugins keep no copy of their own.
//
// A field says `tried` from just before the platform call and `sent` only once the call
// returned, so a host killed mid-call loses nothing: the retry sees `tried`, tells the plugin
// that an earlier try may have reached the platform (`mayHaveBeenSent`), and the plugin looks
// for that post before making it again. Kept as long as the message refs (`ttlSeconds`:
// `keys.requestTtlSeconds`, refreshed at each write).

import type { Redis } from 'ioredis';

/** first: never tried; retry: tried before, may have reached the platform; sent: done. */
export type SendState = 'first' | 'retry' | 'sent';

const TRIED = 'tried';
const SENT = 'sent';

/** Records a try of `field` (unless already sent) and says what came before it. */
export async function beginSend(
  redis: Redis,
  key: string,
  field: string,
  ttlSeconds: number,
): Promise<SendState> {
  const results = await redis
    .multi()
    .hget(key, field)
    .hsetnx(key, field, TRIED)
    .expire(key, ttlSeconds)
    .exec();
  const before = results?.[0]?.[1] as string | null | undefined;
  if (before === SENT) return 'sent';
  return before === TRIED ? 'retry' : 'first';
}

/** The platform call returned: `field` is sent, and never sent again. */
export async function markSent(redis: Redis, key: string, field: string, ttlSeconds: number): Promise<void> {
  await redis.multi().hset(key, field, SENT).expire(key, ttlSeconds).exec();
}
