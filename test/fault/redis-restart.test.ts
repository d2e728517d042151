// Restart Redis (SIGKILL, then a new server on the same socket and append-only file) in the
// middle of a burst: the host reconnects and every request reaches every target exactly once.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { type HostChild, spawnHostProcess } from '../support/stack.js';
import { type FaultWorld, startFaultWorld } from './world.js';

let redis: TestRedis;
let world: FaultWorld;
let host: HostChild | undefined;

beforeAll(async () => {
  redis = await startTestRedis({ appendOnly: true });
  world = await startFaultWorld(redis.socket);
});

afterAll(async () => {
  await host?.kill('SIGKILL');
  await world?.stop();
  await redis?.stop();
});

it('loses and duplicates nothing when Redis restarts mid-burst', { timeout: 120_000 }, async () => {
  host = await spawnHostProcess(world.spec);
  let restarted = false;
  let restarting: Promise<void> | undefined;
  const ids = await world.burst(400, {
    onCreated: (count) => {
      if (!restarted && count >= 120 && world.receiver.deliveries().length >= 40) {
        restarted = true;
        restarting = redis.restart({ downMs: 1000 });
      }
    },
  });
  expect(restarted).toBe(true);
  await restarting;
  const { duplicatesDropped } = await world.expectExactlyOnce(ids, 90_000);
  console.log(`redis restart: ${duplicatesDropped} re-sent copies dropped by delivery id`);
});
