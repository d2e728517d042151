// SIGKILL the host in the middle of a burst of 500 requests, keep creating while it is down,
// start it again: every request reaches every target exactly once.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HostChild, spawnHostProcess, testRedisOptions } from '../support/stack.js';
import { type FaultWorld, startFaultWorld } from './world.js';

let world: FaultWorld;
let host: HostChild | undefined;

beforeAll(async () => {
  world = await startFaultWorld(testRedisOptions().path);
});

afterAll(async () => {
  await host?.kill('SIGKILL');
  await world?.stop();
});

it('loses and duplicates nothing when the host is SIGKILLed mid-burst', { timeout: 120_000 }, async () => {
  host = await spawnHostProcess(world.spec);
  let killed = false;
  let killing: Promise<void> | undefined;
  const ids = await world.burst(500, {
    onCreated: (count) => {
      // Kill once deliveries are really flowing, with plenty of the burst still to come.
      if (!killed && count >= 150 && world.receiver.deliveries().length >= 50) {
        killed = true;
        killing = host!.kill('SIGKILL');
      }
    },
  });
  expect(killed).toBe(true);
  await killing;
  const before = world.receiver.postsByTarget().size;
  expect(before).toBeLessThan(1000);
  host = await spawnHostProcess(world.spec);
  const { duplicatesDropped } = await world.expectExactlyOnce(ids, 90_000);
  console.log(
    `sigkill: ${before} of 1000 delivered before the kill; ${duplicatesDropped} re-sent copies dropped by delivery id`,
  );
});
