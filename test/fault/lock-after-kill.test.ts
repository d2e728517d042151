// SIGKILL the host while its posts are under way (the receiver holds them), with the host's
// default lock timings: the restarted host delivers them within a few seconds, because the
// locks a dead host held (BullMQ's job lock, the target lock) are short and were renewed only
// while it lived. With a fixed 30 s lock, they waited half a minute.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HostChild, spawnHostProcess, testRedisOptions, waitFor } from '../support/stack.js';
import { type FaultWorld, SECRET, startFaultWorld, TARGET_PATHS } from './world.js';

let world: FaultWorld;
let host: HostChild | undefined;

beforeAll(async () => {
  world = await startFaultWorld(testRedisOptions().path);
});

afterAll(async () => {
  await host?.kill('SIGKILL');
  await world?.stop();
});

/** Well above the new lock timings (5 s lock, 2.5 s stalled check), well below 30 s. */
const RECOVERY_BUDGET_MS = 18_000;

it('delivers what a killed host had in flight within seconds of the kill', {
  timeout: 120_000,
}, async () => {
  // The host's own defaults: no shortened lock or stalled-check timings.
  const { lockDurationMs: _lock, stalledIntervalMs: _stalled, ...defaults } = world.spec;
  const spec = {
    ...defaults,
    // The receiver holds the posts; the webhook's client must not give up first.
    plugins: { webhook: { secret: SECRET, timeout_ms: 60_000 } },
  };
  host = await spawnHostProcess(spec);
  world.receiver.delay(60_000);
  const ids = await world.burst(4, { parallel: 4 });
  const inFlight = ids.length * TARGET_PATHS.length;
  await waitFor(() => world.receiver.inFlight() >= inFlight, 30_000, 'every post under way');
  await host.kill('SIGKILL');
  const killed = Date.now();
  // Posts from now on are answered at once; the held ones never are (their sender is dead).
  world.receiver.delay(0);

  host = await spawnHostProcess(spec);
  await waitFor(
    () =>
      ids.every((id) => TARGET_PATHS.every((path) => world.receiver.postsByTarget().has(`${id} ${path}`))),
    60_000,
    'every post after the restart',
  );
  const recoveryMs = Date.now() - killed;
  console.log(`lock-after-kill: ${inFlight} posts in flight at the kill delivered ${recoveryMs} ms after it`);
  expect(recoveryMs).toBeLessThan(RECOVERY_BUDGET_MS);
  await world.expectExactlyOnce(ids, 10_000);
});
