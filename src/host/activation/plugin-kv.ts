// The small per-plugin key/value store of the plugin context: Redis keys under
// `<prefix>:plugin:<id>:`, so plugins cannot read each other's state.

import type { Redis } from 'ioredis';
import type { PluginKv } from '../../plugin-sdk/index.js';

export function redisPluginKv(redis: Redis, keyPrefix: string): PluginKv {
  const k = (key: string) => `${keyPrefix}${key}`;
  return {
    get: (key) => redis.get(k(key)),
    async set(key, value, ttlSeconds) {
      if (ttlSeconds && ttlSeconds > 0) await redis.set(k(key), value, 'EX', ttlSeconds);
      else await redis.set(k(key), value);
    },
    async setIfAbsent(key, value, ttlSeconds) {
      const r = await redis.set(k(key), value, 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX');
      return r === 'OK';
    },
    async delete(key) {
      await redis.del(k(key));
    },
  };
}
