// The reminder sweeper against a real Redis and real BullMQ queues: due requests become
// `remind` jobs (once, whoever sweeps) and leave the index; requests not yet due stay; with
// reminders turned off, what an earlier configuration scheduled is dropped, not sent.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DeliveryQueues } from '../../src/host/delivery/delivery-queues.js';
import { retryPolicyFrom } from '../../src/host/delivery/retry-classifier.js';
import { hostKeys } from '../../src/host/redis/keys.js';
import { startReminderSweeper } from '../../src/host/reminders/reminder-sweeper.js';
import { createLogger } from '../../src/log.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

let server: TestRedis;
let redis: Redis;
let queues: DeliveryQueues;
const keys = hostKeys('sweeper');
const log = createLogger({ level: 'silent' });

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.options);
  queues = new DeliveryQueues(
    ['webhook'],
    server.options,
    keys,
    retryPolicyFrom({ attempts: 3, backoff: 1000, max_backoff: 5000, concurrency: 1 }),
  );
});

afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await server.stop();
});

const sweeper = (enabled: boolean) =>
  startReminderSweeper({ redis, keys, queues, pluginIds: ['webhook'], enabled, intervalMs: 60_000, log });

it('queues one remind job per due request, keeps the ones not yet due, and two sweepers queue the same jobs', async () => {
  const now = Date.now();
  await redis.zadd(keys.reminderDue('webhook'), now - 1000, 'r1', now - 10, 'r2', now + 60_000, 'r3');
  const a = sweeper(true);
  const b = sweeper(true);
  try {
    expect((await Promise.all([a.run(), b.run()])).reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(2);
    const queue = queues.queues.get('webhook')!;
    const jobs = (await queue.getJobs(['waiting', 'delayed'])).map((j) => j.id).sort();
    expect(jobs).toEqual(['remind.webhook.r1.n0', 'remind.webhook.r2.n0']);
    expect(await redis.zrange(keys.reminderDue('webhook'), 0, -1)).toEqual(['r3']);
  } finally {
    await a.stop();
    await b.stop();
  }
});

it('with reminders off, drops what is due instead of queueing it', async () => {
  const queue = queues.queues.get('webhook')!;
  await queue.obliterate({ force: true });
  await redis.zadd(keys.reminderDue('webhook'), Date.now() - 1000, 'r4');
  const off = sweeper(false);
  try {
    expect(await off.run()).toBe(0);
    expect(await queue.getJobs(['waiting', 'delayed'])).toEqual([]);
    expect(await redis.zrange(keys.reminderDue('webhook'), 0, -1)).toEqual(['r3']);
  } finally {
    await off.stop();
  }
});
