// What an operator sees: health, readiness, Prometheus metrics that move with real
// deliveries, and a graceful shutdown that finishes the delivery in flight (and a restarted
// host that does not send it again).

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHost } from '../../src/host/index.js';
import { testRedisOptions, waitFor } from '../support/stack.js';
import { type RestartableWorld, startRestartableWorld } from './restartable-world.js';

const SECRET = 'ops-test-secret-0123456789';
let world: RestartableWorld;
let host: RunningHost | undefined;

beforeAll(async () => {
  world = await startRestartableWorld({ secret: SECRET, prefix: 'ops' });
  host = await world.startHost();
});

afterAll(async () => {
  await host?.close();
  await world?.stop();
});

const metric = (text: string, name: string, labels: string) =>
  Number(
    text
      .split('\n')
      .find(
        (l) =>
          (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) &&
          labels.split(',').every((kv) => l.includes(kv)),
      )
      ?.split(' ')
      .pop() ?? Number.NaN,
  );

describe('operations', () => {
  it('answers /healthz and becomes ready once the watcher runs', async () => {
    expect((await fetch(`${host!.url}/healthz`)).status).toBe(200);
    const ready = await waitFor(
      async () => {
        const res = await fetch(`${host!.url}/readyz`);
        return res.status === 200 ? ((await res.json()) as { checks: Record<string, string> }) : undefined;
      },
      20_000,
      'readiness',
    );
    expect(ready.checks).toMatchObject({ redis: 'ok', watcher: 'ok', 'plugin.webhook': 'ok' });
  });

  it('exposes delivery counts, latency, queue depth, watcher lag and dead letters', async () => {
    const alice = await world.api.clientFor('alice');
    const req = await alice.createRequest({ roles: ['dba'], reason: 'metrics' });
    await waitFor(() => world.receiver.deliveries().some((d) => d.requestId === req.id), 20_000, 'delivery');
    const text = await waitFor(
      async () => {
        const t = await (await fetch(`${host!.url}/metrics`)).text();
        return metric(t, 'accessbot_deliveries_total', 'plugin="webhook",op="post",outcome="ok"') >= 1 &&
          metric(t, 'accessbot_watcher_lag_events', '') === 0
          ? t
          : undefined;
      },
      20_000,
      'metrics to settle',
    );
    expect(
      metric(text, 'accessbot_delivery_latency_seconds_count', 'plugin="webhook",op="post"'),
    ).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'accessbot_queue_depth', 'plugin="webhook",state="waiting"')).toBe(0);
    expect(metric(text, 'accessbot_dead_letters', 'plugin="webhook"')).toBe(0);
    expect(text).not.toContain(SECRET);
  });

  it('finishes the delivery in flight on close, and a restarted host does not send it again', async () => {
    world.receiver.delay(1500);
    const alice = await world.api.clientFor('alice');
    const req = await alice.createRequest({ roles: ['dba'], reason: 'graceful' });
    await waitFor(() => world.receiver.inFlight() > 0, 20_000, 'a delivery in flight');
    await host!.close();
    host = undefined;
    const got = world.receiver.deliveries().filter((d) => d.requestId === req.id);
    expect(got).toHaveLength(1);
    world.receiver.delay(0);
    // The ref was stored before close returned: a new host has nothing to re-send.
    const redis = new Redis(testRedisOptions());
    try {
      const refs = await redis.hgetall(`${world.config.host.redis.prefix}:refs:webhook:${req.id}`);
      expect(Object.values(refs).map((r) => (JSON.parse(r) as { state: string }).state)).toEqual(['posted']);
    } finally {
      redis.disconnect();
    }
    host = await world.startHost();
    await waitFor(async () => (await fetch(`${host!.url}/readyz`)).status === 200, 20_000, 'restart');
    await new Promise((r) => setTimeout(r, 1000));
    expect(world.receiver.deliveries().filter((d) => d.requestId === req.id)).toHaveLength(1);
    expect(got[0]!.copies).toBe(1);
  });
});
