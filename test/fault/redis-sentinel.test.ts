// The host on Redis Sentinel, configured the way a user writes it (host.redis.sentinels in a
// YAML file, passwords through file: and ${ENV}): requests flow; a failover mid-burst (first
// the sentinel's own FAILOVER, then a SIGKILLed master) moves every connection to the new
// master, and every request still reaches every target exactly once. No password is logged.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { loadConfig } from '../../src/config/index.js';
import { type RunningHost, startHost } from '../../src/host/index.js';
import { createLogger } from '../../src/log.js';
import {
  MASTER_NAME,
  type RedisNode,
  startTestSentinel,
  type TestSentinel,
} from '../support/redis-sentinel.js';
import { waitFor } from '../support/stack.js';
import { type FaultWorld, startFaultWorld } from './world.js';

let sentinel: TestSentinel;
let world: FaultWorld;
let host: RunningHost | undefined;
const logLines: string[] = [];

beforeAll(async () => {
  sentinel = await startTestSentinel();
  // The world's host spec (a socket for child hosts) is not used: this host runs in-process.
  world = await startFaultWorld('');
  const { spec } = world;
  writeFileSync(join(sentinel.dir, 'redis-password'), `${sentinel.password}\n`, { mode: 0o600 });
  const file = join(sentinel.dir, 'accessbot.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      host: {
        listen: '127.0.0.1:0',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own ${ENV} reference
        api: { url: spec.apiUrl, token: '${HOST_TOKEN}' },
        redis: {
          sentinels: [`127.0.0.1:${sentinel.sentinelPort}`],
          master_name: MASTER_NAME,
          password: 'file:redis-password',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own ${ENV} reference
          sentinel_password: '${SENTINEL_PASSWORD}',
          prefix: spec.prefix,
        },
        routing: spec.routing,
        delivery: spec.delivery,
      },
      plugins: spec.plugins,
    }),
  );
  const loaded = await loadConfig({
    file,
    env: { HOST_TOKEN: spec.apiToken, SENTINEL_PASSWORD: sentinel.sentinelPassword },
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  host = await startHost({
    config: loaded.config,
    plugins: loaded.plugins,
    client: new HttpAccessClient({ baseUrl: spec.apiUrl, token: spec.apiToken }),
    log: createLogger({ level: 'debug', destination: sink }),
    tuning: { lockDurationMs: 4000, stalledIntervalMs: 2000 },
  });
}, 60_000);

afterAll(async () => {
  await host?.close();
  await world?.stop();
  await sentinel?.stop();
});

async function roleOf(node: RedisNode): Promise<string> {
  const c = node.client();
  c.on('error', () => {});
  try {
    await c.connect();
    return String(((await c.call('ROLE')) as unknown[])[0]);
  } finally {
    c.disconnect();
  }
}

/** Keys of this host's prefix on `node`: the host's data went there. */
async function hostKeysOn(node: RedisNode): Promise<number> {
  const c = node.client();
  c.on('error', () => {});
  try {
    await c.connect();
    return (await c.keys(`${world.spec.prefix}:*`)).length;
  } finally {
    c.disconnect();
  }
}

function nodeOnPort(port: number): RedisNode {
  const node = sentinel.nodes.find((n) => n.port === port);
  if (!node) throw new Error(`no node on ${port}`);
  return node;
}

it('follows a Sentinel FAILOVER mid-burst: nothing lost or duplicated', { timeout: 120_000 }, async () => {
  const [first, second] = sentinel.nodes as [RedisNode, RedisNode];
  expect(await sentinel.masterPort()).toBe(first.port);
  let failing: Promise<void> | undefined;
  const ids = await world.burst(300, {
    onCreated: (count) => {
      if (!failing && count >= 100 && world.receiver.deliveries().length >= 30) {
        failing = (async () => {
          const c = new Redis({
            host: '127.0.0.1',
            port: sentinel.sentinelPort,
            password: sentinel.sentinelPassword,
          });
          try {
            await c.call('SENTINEL', 'FAILOVER', MASTER_NAME);
          } finally {
            c.disconnect();
          }
        })();
      }
    },
  });
  expect(failing, 'the failover started mid-burst').toBeDefined();
  await failing;
  await waitFor(async () => (await sentinel.masterPort()) === second.port, 20_000, 'the replica promoted');
  await world.expectExactlyOnce(ids, 90_000);
  // Requests made after the switch flow too, and the old master is a replica now.
  const after = await world.burst(20);
  await world.expectExactlyOnce(after, 30_000);
  expect(await roleOf(second)).toBe('master');
  await waitFor(async () => (await roleOf(first)) === 'slave', 20_000, 'the old master to follow');
});

it('follows a SIGKILLed master to the replica the sentinel promotes', { timeout: 120_000 }, async () => {
  const master = nodeOnPort(await sentinel.masterPort());
  const survivor = sentinel.nodes.find((n) => n !== master)!;
  // The replica must be in sync before the kill, or the test measures replication lag.
  await waitFor(async () => (await roleOf(survivor)) === 'slave', 20_000, 'the replica to follow');
  let killed = false;
  let killing: Promise<void> | undefined;
  const ids = await world.burst(200, {
    onCreated: (count) => {
      if (!killed && count >= 60) {
        killed = true;
        killing = sentinel.kill(master);
      }
    },
  });
  await killing;
  await waitFor(async () => (await sentinel.masterPort()) === survivor.port, 30_000, 'the promotion');
  await world.expectExactlyOnce(ids, 90_000);
  expect(await hostKeysOn(survivor)).toBeGreaterThan(0);
  const log = logLines.join('');
  expect(log).toContain(`sentinel master ${MASTER_NAME} via 127.0.0.1:${sentinel.sentinelPort}`);
  expect(log).not.toContain(sentinel.password);
  expect(log).not.toContain(sentinel.sentinelPassword);
});
