// Two host processes share one Redis and both follow the same API: each request still
// reaches each target exactly once, and both replicas did part of the work.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HostChild, spawnHostProcess, testRedisOptions } from '../support/stack.js';
import { type FaultWorld, startFaultWorld } from './world.js';

let world: FaultWorld;
const hosts: HostChild[] = [];

beforeAll(async () => {
  world = await startFaultWorld(testRedisOptions().path);
});

afterAll(async () => {
  for (const h of hosts) await h.kill('SIGKILL');
  await world?.stop();
});

it('two replicas on one Redis send one message per target', { timeout: 120_000 }, async () => {
  hosts.push(await spawnHostProcess(world.spec), await spawnHostProcess(world.spec));
  const ids = await world.burst(300);
  const { duplicatesDropped } = await world.expectExactlyOnce(ids, 90_000);
  expect(duplicatesDropped).toBe(0);
  // Both replicas worked: each one's metrics count delivered posts.
  const posted = await Promise.all(
    hosts.map(async (h) => {
      const text = await (await fetch(`${h.url}/metrics`)).text();
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('accessbot_deliveries_total{') &&
            l.includes('op="post"') &&
            l.includes('outcome="ok"'),
        );
      return Number(line?.split(' ').pop() ?? 0);
    }),
  );
  expect(posted.reduce((a, b) => a + b, 0)).toBe(600);
  expect(Math.min(...posted)).toBeGreaterThan(0);
});
