// host.redis.tls against a real redis-server that speaks only TLS (`--port 0 --tls-port`) and
// demands a client certificate, with a throwaway CA made by openssl: requests flow end to end
// (the host's own connections and BullMQ's), a server the CA did not sign is refused, and a
// missing key file stops the start naming the key.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { configSchema, type RedisConfig } from '../../src/config/schema.js';
import { type RunningHost, startHost } from '../../src/host/index.js';
import { redisOptionsFromConfig } from '../../src/host/redis/redis-options.js';
import { createLogger } from '../../src/log.js';
import { type FaultWorld, startFaultWorld } from '../fault/world.js';
import { issueCert, makeCa } from '../support/throwaway-ca.js';

let dir: string;
let port: number;
let world: FaultWorld | undefined;
let host: RunningHost | undefined;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: p } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return p;
}

function tlsConfig(extra: Partial<RedisConfig> = {}): RedisConfig {
  return configSchema.parse({
    host: {
      redis: {
        url: `rediss://127.0.0.1:${port}`,
        tls: {
          ca_file: join(dir, 'ca.crt'),
          cert_file: join(dir, 'client.crt'),
          key_file: join(dir, 'client.key'),
          servername: 'redis.test',
        },
        ...extra,
      },
    },
  }).host.redis;
}

async function ping(config: RedisConfig): Promise<string> {
  const redis = new Redis({
    ...redisOptionsFromConfig(config).options,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // ioredis rejects with "Connection is closed"; the TLS reason comes as an error event.
  const reasons: string[] = [];
  redis.on('error', (err: Error) => reasons.push(err.message));
  try {
    await redis.connect();
    return await redis.ping();
  } catch (err) {
    throw new Error(reasons[0] ?? (err as Error).message);
  } finally {
    redis.disconnect();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'accessbot-redis-tls-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  issueCert(dir, 'server', 'redis.test');
  issueCert(dir, 'client', 'accessbot');
  port = await freePort();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      'redis-server',
      [
        ...['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
        ...['--tls-cert-file', join(dir, 'server.crt'), '--tls-key-file', join(dir, 'server.key')],
        ...['--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'yes'],
        ...['--daemonize', 'yes', '--pidfile', join(dir, 'redis.pid'), '--logfile', join(dir, 'redis.log')],
      ],
      { stdio: 'ignore' },
    );
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`redis-server exited with ${code}`)),
    );
  });
  const deadline = Date.now() + 10_000;
  while ((await ping(tlsConfig()).catch(() => '')) !== 'PONG') {
    if (Date.now() > deadline)
      throw new Error(`TLS redis did not answer: ${readFileSync(join(dir, 'redis.log'), 'utf8')}`);
    await sleep(50);
  }
}, 60_000);

afterAll(async () => {
  await host?.close();
  await world?.stop();
  try {
    process.kill(Number(readFileSync(join(dir, 'redis.pid'), 'utf8').trim()), 'SIGKILL');
  } catch {
    /* not started */
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('host.redis.tls', () => {
  it('delivers every request through a TLS-only Redis that wants a client certificate', {
    timeout: 90_000,
  }, async () => {
    world = await startFaultWorld('');
    const { spec } = world;
    const config = configSchema.parse({
      host: {
        listen: '127.0.0.1:0',
        redis: { ...tlsConfig(), prefix: spec.prefix },
        routing: spec.routing,
        delivery: spec.delivery,
      },
      plugins: spec.plugins,
    });
    host = await startHost({
      config,
      client: new HttpAccessClient({ baseUrl: spec.apiUrl, token: spec.apiToken }),
      log: createLogger({ level: 'silent' }),
    });
    const ids = await world.burst(40);
    await world.expectExactlyOnce(ids, 60_000);
  });

  it('refuses a server whose certificate another CA signed', async () => {
    const config = tlsConfig();
    await expect(
      ping({ ...config, tls: { ...config.tls!, ca_file: join(dir, 'other-ca.crt') } }),
    ).rejects.toThrow();
  });

  it('refuses a server whose certificate names another host', async () => {
    const config = tlsConfig();
    await expect(ping({ ...config, tls: { ...config.tls!, servername: 'elsewhere.test' } })).rejects.toThrow(
      /elsewhere\.test/,
    );
  });

  it('stops the start naming the key when a TLS file is missing', () => {
    const config = tlsConfig();
    const missing = join(dir, 'nope.key');
    expect(() => redisOptionsFromConfig({ ...config, tls: { ...config.tls!, key_file: missing } })).toThrow(
      `host.redis.tls.key_file: cannot read ${missing} (ENOENT)`,
    );
  });

  it('needs the key with the certificate', () => {
    const parsed = configSchema.safeParse({ host: { redis: { tls: { cert_file: '/x.crt' } } } });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.message).toContain('cert_file and key_file go together');
  });
});
