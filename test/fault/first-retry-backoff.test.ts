// A temporary failure of the route job's inline post is retried after `host.delivery.backoff`
// (with jitter: at least half of it), like every later retry, not a few milliseconds later;
// and the message still arrives exactly once. Host in its own process, real receiver.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HostChild, spawnHostProcess, testRedisOptions, waitFor } from '../support/stack.js';
import { type FaultWorld, startFaultWorld } from './world.js';

const BACKOFF_MS = 2_000;

let world: FaultWorld;
let host: HostChild | undefined;

beforeAll(async () => {
  world = await startFaultWorld(testRedisOptions().path, { backoff: `${BACKOFF_MS}ms`, max_backoff: '10s' });
});

afterAll(async () => {
  await host?.kill('SIGKILL');
  await world?.stop();
});

it('waits the configured backoff before the first retry of a failed post', { timeout: 60_000 }, async () => {
  host = await spawnHostProcess(world.spec);
  const callsAt = new Map<string, number[]>();
  world.receiver.answer((_call, path) => {
    const times = callsAt.get(path) ?? [];
    times.push(Date.now());
    callsAt.set(path, times);
    // Each target's first post fails as a temporary outage would.
    return times.length === 1 ? { status: 503, body: 'try later' } : null;
  });
  const ids = await world.burst(1);
  await world.expectExactlyOnce(ids, 30_000);
  for (const [path, times] of callsAt) {
    expect(times.length, path).toBeGreaterThanOrEqual(2);
    const firstRetryAfterMs = times[1]! - times[0]!;
    console.log(`first-retry-backoff: ${path} retried ${firstRetryAfterMs} ms after the first failure`);
    expect(firstRetryAfterMs, path).toBeGreaterThanOrEqual(BACKOFF_MS / 2);
  }
  await waitFor(() => callsAt.size === 2, 1000, 'calls to both targets');
});
