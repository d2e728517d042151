// The receiver answers 500 for a while, then 429 with Retry-After, then recovers: every
// request still reaches every target exactly once, and the 429 phase really paused sending.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HostChild, spawnHostProcess, testRedisOptions, waitFor } from '../support/stack.js';
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

it('delivers everything once through a 500 phase and a 429 phase', { timeout: 120_000 }, async () => {
  host = await spawnHostProcess(world.spec);
  let phase: 'error' | 'limited' | 'ok' = 'error';
  const limitedCalls: number[] = [];
  world.receiver.answer(() => {
    if (phase === 'error') return { status: 500 };
    if (phase === 'limited') {
      limitedCalls.push(Date.now());
      return { status: 429, retryAfter: '2' };
    }
    return null;
  });
  const ids = await world.burst(200);
  await waitFor(() => world.receiver.failedCalls() >= 100, 30_000, '500s to pile up');
  phase = 'limited';
  await waitFor(() => limitedCalls.length >= 3, 30_000, 'some 429s');
  await new Promise((r) => setTimeout(r, 3000));
  phase = 'ok';
  expect(world.receiver.postsByTarget().size).toBe(0);
  // Retry-After 2 s pauses the whole queue: a 429 storm would be hundreds of calls in 3 s.
  expect(limitedCalls.length).toBeLessThan(60);
  const { duplicatesDropped } = await world.expectExactlyOnce(ids, 90_000);
  expect(duplicatesDropped).toBe(0);
  console.log(
    `receiver failures: ${world.receiver.failedCalls()} failed calls answered, ${limitedCalls.length} of them 429`,
  );
});
