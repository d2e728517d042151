// Which replies and reminders a target's thread already got (one Redis set per target and
// kind, members are review or reminder indexes), so a retried job does not send one twice.
// Kept as long as the message refs.

import type { Redis } from 'ioredis';
import { REF_TTL_SECONDS } from './message-refs.js';

export async function wasSent(redis: Redis, key: string, index: number): Promise<boolean> {
  return (await redis.sismember(key, String(index))) === 1;
}

export async function markSent(redis: Redis, key: string, index: number): Promise<void> {
  await redis.multi().sadd(key, String(index)).expire(key, REF_TTL_SECONDS).exec();
}
