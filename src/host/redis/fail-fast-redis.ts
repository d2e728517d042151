// A second Redis connection for work someone is waiting on: an inbound call (a click, a
// signed webhook), /readyz, the plugins' kv. The host's main connection queues commands while
// Redis is away and replays them when it returns, which is right for the stream and the
// deliveries (nothing lost) but wrong here: a click held until Redis comes back minutes later
// would then be acted on long after it was signed. This connection refuses at once while Redis
// is disconnected (no offline queue, no retry of a command cut off mid-flight) and gives up on a
// command Redis does not answer in time (a frozen server still accepts connections).

import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { AccessbotError } from '../../errors.js';

/** How long a command on this connection may take before its caller is told Redis is unavailable. */
export const REDIS_ANSWER_MS = 500;
/** How long a start waits for this connection before going on without it (it keeps reconnecting). */
const FIRST_CONNECT_WAIT_MS = 5000;

export async function startFailFastRedis(options: RedisOptions): Promise<Redis> {
  const redis = new Redis({
    ...options,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_ANSWER_MS,
    enableAutoPipelining: false,
  });
  // Connection errors are logged once by the main connection; here they only fail callers.
  redis.on('error', () => {});
  if (redis.status !== 'ready') {
    // Not events.once: it gives up at the first connection error, and a Redis still starting
    // refuses a few connections before it answers.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, FIRST_CONNECT_WAIT_MS);
      redis.once('ready', done);
      function done() {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      }
    });
  }
  return redis;
}

/** What a caller gets when this connection could not do its work. */
export function redisUnavailable(err: unknown): AccessbotError {
  const why = err instanceof Error ? err.message : String(err);
  return new AccessbotError('REDIS_UNAVAILABLE', `Redis is unavailable (${why}); try again shortly`);
}

/** `ok`, or why Redis cannot be used right now (for /readyz), within REDIS_ANSWER_MS. */
export async function redisCheck(redis: Redis): Promise<string> {
  if (redis.status !== 'ready') return `down: connection ${redis.status}`;
  try {
    await redis.ping();
    return 'ok';
  } catch (err) {
    return `down: ${err instanceof Error ? err.message : String(err)}`;
  }
}
