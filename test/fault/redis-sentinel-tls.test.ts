// Sentinel and TLS together, as a locked-down Redis is run: the master, the replica and the
// sentinel listen on TLS ports only (replication over TLS too), signed by a throwaway CA. The
// host, given host.redis.sentinels and host.redis.tls, delivers; after a FAILOVER it reaches
// the new master over TLS and delivers again, exactly once each.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, it } from 'vitest';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { configSchema } from '../../src/config/schema.js';
import { type RunningHost, startHost } from '../../src/host/index.js';
import { createLogger } from '../../src/log.js';
import {
  MASTER_NAME,
  type RedisNode,
  startTestSentinel,
  type TestSentinel,
} from '../support/redis-sentinel.js';
import { waitFor } from '../support/stack.js';
import { issueCert, makeCa } from '../support/throwaway-ca.js';
import { type FaultWorld, startFaultWorld } from './world.js';

let certs: string;
let sentinel: TestSentinel;
let world: FaultWorld;
let host: RunningHost | undefined;

beforeAll(async () => {
  certs = mkdtempSync(join(tmpdir(), 'accessbot-sentinel-tls-'));
  const ca = makeCa(certs, 'ca');
  const server = issueCert(certs, 'server', 'redis.test');
  sentinel = await startTestSentinel({
    tls: {
      caFile: ca.certFile,
      certFile: server.certFile,
      keyFile: server.keyFile,
      servername: 'redis.test',
    },
  });
  world = await startFaultWorld('');
  const { spec } = world;
  const config = configSchema.parse({
    host: {
      listen: '127.0.0.1:0',
      redis: {
        sentinels: [`127.0.0.1:${sentinel.sentinelPort}`],
        master_name: MASTER_NAME,
        password: sentinel.password,
        sentinel_password: sentinel.sentinelPassword,
        tls: { ca_file: ca.certFile, servername: 'redis.test' },
        prefix: spec.prefix,
      },
      routing: spec.routing,
      delivery: spec.delivery,
    },
    plugins: spec.plugins,
  });
  host = await startHost({
    config,
    client: new HttpAccessClient({ baseUrl: spec.apiUrl, token: spec.apiToken }),
    log: createLogger({ level: 'silent' }),
    tuning: { lockDurationMs: 4000, stalledIntervalMs: 2000 },
  });
}, 60_000);

afterAll(async () => {
  await host?.close();
  await world?.stop();
  await sentinel?.stop();
  rmSync(certs, { recursive: true, force: true });
});

it('delivers over TLS through the sentinel, and again after a failover', { timeout: 120_000 }, async () => {
  const [, second] = sentinel.nodes as [RedisNode, RedisNode];
  const before = await world.burst(30);
  await world.expectExactlyOnce(before, 60_000);
  const c = new Redis(sentinel.sentinelClientOptions);
  try {
    await c.call('SENTINEL', 'FAILOVER', MASTER_NAME);
  } finally {
    c.disconnect();
  }
  await waitFor(async () => (await sentinel.masterPort()) === second.port, 20_000, 'the replica promoted');
  const after = await world.burst(30);
  // The old master is a read-only replica now: these deliveries needed writes on the new one.
  await world.expectExactlyOnce(after, 60_000);
});
