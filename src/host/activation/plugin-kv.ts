// The small per-plugin key/value store of the plugin context: Redis keys under
// `<prefix>:plugin:<id>:`, so plugins cannot read each other's state. It runs on the host's
// fail-fast connection: while Redis is away every call throws REDIS_UNAVAILABLE at once, so an
// inbound call answers 503 instead of waiting (and being acted on long after it was signed).

import type { Redis } from 'ioredis';
import type { PluginKv } from '../../plugin-sdk/index.js';
import { redisUnavailable } from '../redis/fail-fast-redis.js';

async function orUnavailable<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw redisUnavailable(err);
  }
}

export function redisPluginKv(redis: Redis, keyPrefix: string): PluginKv {
  const k = (key: string) => `${keyPrefix}${key}`;
  return {
    get: (key) => orUnavailable(redis.get(k(key))),
    async set(key, value, ttlSeconds) {
      if (ttlSeconds && ttlSeconds > 0) await orUnavailable(redis.set(k(key), value, 'EX', ttlSeconds));
      else await orUnavailable(redis.set(k(key), value));
    },
    async setIfAbsent(key, value, ttlSeconds) {
      const r = await orUnavailable(redis.set(k(key), value, 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX'));
      return r === 'OK';
    },
    async delete(key) {
      await orUnavailable(redis.del(k(key)));
    },
  };
}
