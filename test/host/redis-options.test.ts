// host.redis as written → what every connection is built from: Sentinel or one URL, the
// credentials on top, and a description for the log that never carries a password.

import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { redisOptionsFromConfig } from '../../src/host/redis/redis-options.js';

const redisBlock = (redis: Record<string, unknown>) => configSchema.safeParse({ host: { redis } });

describe('host.redis', () => {
  it('Sentinel: addresses (IPv6 too), master name, both passwords; the log line names no password', () => {
    const parsed = redisBlock({
      sentinels: ['sentinel-1:26379', '[::1]:26380'],
      master_name: 'mymaster',
      sentinel_password: 'sentinel-secret',
      password: 'redis-secret',
      db: 3,
    });
    expect(parsed.success).toBe(true);
    const { options, description } = redisOptionsFromConfig(parsed.data!.host.redis);
    expect(options).toMatchObject({
      sentinels: [
        { host: 'sentinel-1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'mymaster',
      sentinelPassword: 'sentinel-secret',
      password: 'redis-secret',
      db: 3,
      maxRetriesPerRequest: null,
    });
    expect(description).toBe('sentinel master mymaster via sentinel-1:26379,[::1]:26380');
    expect(description).not.toContain('secret');
  });

  it('URL: password and db from the block win over ones in the URL; the log line names none', () => {
    const parsed = redisBlock({ url: 'redis://:old@redis:6380/1', password: 'new-secret', db: 2 });
    const { options, description } = redisOptionsFromConfig(parsed.data!.host.redis);
    expect(options).toMatchObject({ host: 'redis', port: 6380, password: 'new-secret', db: 2 });
    expect(description).toBe('redis:6380');
  });

  it('refuses url and sentinels together, sentinels without master_name, sentinel keys without sentinels', () => {
    const messages = (redis: Record<string, unknown>) =>
      (redisBlock(redis).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages({ url: 'redis://r:6379', sentinels: ['s:26379'], master_name: 'm' })).toEqual([
      'host.redis.url: set either url (one Redis) or sentinels (Redis Sentinel), not both (REDIS_URL sets url too)',
    ]);
    expect(messages({ sentinels: ['s:26379'] })).toEqual([
      'host.redis.master_name: sentinels need master_name, the name the sentinels monitor (e.g. mymaster)',
    ]);
    expect(messages({ master_name: 'm' })).toEqual([
      'host.redis.master_name: master_name only applies with sentinels',
    ]);
    expect(messages({ sentinels: ['sentinel-without-port'], master_name: 'm' })[0]).toContain(
      'host:port, e.g. sentinel-1:26379',
    );
  });
});
