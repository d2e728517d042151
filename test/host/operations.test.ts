// What an operator sees: health, readiness, Prometheus metrics that move with real
// deliveries, and a graceful shutdown that finishes the delivery in flight (and a restarted
// host that does not send it again).

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpAccessClient } from '../../src/api/client.js';
import { ensureServiceToken } from '../../src/api/server.js';
import { type Config, configSchema } from '../../src/config/schema.js';
import { type RunningHost, startHost } from '../../src/host/index.js';
import { createLogger } from '../../src/log.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { testRedisOptions, waitFor } from '../support/stack.js';
import { HOST_ROLES, HOST_USERS } from './fixtures.js';

const SECRET = 'ops-test-secret-0123456789';
let api: TestApi;
let receiver: Receiver;
let config: Config;
let hostClient: HttpAccessClient;
let host: RunningHost | undefined;

const start = () =>
  startHost({
    config,
    client: hostClient,
    log: createLogger({ level: 'silent' }),
    redis: testRedisOptions(),
  });

beforeAll(async () => {
  api = await startTestApi({ rolesYaml: HOST_ROLES, users: HOST_USERS });
  receiver = await startReceiver({ secret: SECRET });
  hostClient = new HttpAccessClient({
    baseUrl: api.api.url,
    token: await ensureServiceToken(api.api.store, 'accessbot-host', ['accessbot-plugin']),
  });
  config = configSchema.parse({
    host: {
      listen: '127.0.0.1:0',
      redis: { prefix: `ops${Date.now()}` },
      routing: [{ roles: ['*'], targets: { webhook: [receiver.urlFor('ops')] } }],
    },
    plugins: { webhook: { secret: SECRET } },
  });
  host = await start();
});

afterAll(async () => {
  await host?.close();
  await receiver?.stop();
  await api?.stop();
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
    const alice = await api.clientFor('alice');
    const req = await alice.createRequest({ roles: ['dba'], reason: 'metrics' });
    await waitFor(() => receiver.deliveries().some((d) => d.requestId === req.id), 20_000, 'delivery');
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
    receiver.delay(1500);
    const alice = await api.clientFor('alice');
    const req = await alice.createRequest({ roles: ['dba'], reason: 'graceful' });
    await waitFor(() => receiver.inFlight() > 0, 20_000, 'a delivery in flight');
    await host!.close();
    host = undefined;
    const got = receiver.deliveries().filter((d) => d.requestId === req.id);
    expect(got).toHaveLength(1);
    receiver.delay(0);
    // The ref was stored before close returned: a new host has nothing to re-send.
    const redis = new Redis(testRedisOptions());
    try {
      const refs = await redis.hgetall(`${config.host.redis.prefix}:refs:webhook:${req.id}`);
      expect(Object.values(refs).map((r) => (JSON.parse(r) as { state: string }).state)).toEqual(['posted']);
    } finally {
      redis.disconnect();
    }
    host = await start();
    await waitFor(async () => (await fetch(`${host!.url}/readyz`)).status === 200, 20_000, 'restart');
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.deliveries().filter((d) => d.requestId === req.id)).toHaveLength(1);
    expect(got[0]!.copies).toBe(1);
  });
});
