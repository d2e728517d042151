// Small pure pieces of the host whose behaviour users feel indirectly: who gets a request,
// how long a retry waits, what a job id looks like, where Redis comes from, and the webhook
// signature check.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { sign, verify } from '../../plugins/webhook/signature.js';
import { loadPluginDefinitions } from '../../src/config/plugin-discovery.js';
import { configSchema, type RouteRule } from '../../src/config/schema.js';
import { jobIdFor, routeJobs } from '../../src/host/delivery/job-ids.js';
import { PlatformGate } from '../../src/host/delivery/platform-gate.js';
import { backoffDelayMs, isPermanent, PlatformPaused } from '../../src/host/delivery/retry-classifier.js';
import { redisOptionsFromUrl, resolveRedis } from '../../src/host/redis/redis-connection.js';
import { recipientsFromRules } from '../../src/host/routing/router.js';
import { createLogger } from '../../src/log.js';
import { permanent, rateLimited, transient } from '../../src/plugin-sdk/index.js';

describe('routing rules', () => {
  const rules: RouteRule[] = [
    { roles: ['dba'], targets: { webhook: ['a'], other: ['x'] } },
    { roles: ['dev-*'], targets: { webhook: ['b'] } },
    { roles: ['*'], targets: { webhook: ['fallback'] } },
  ];
  it('matches role globs and uses `*` only when nothing specific matched', () => {
    expect(recipientsFromRules(rules, ['dba'], 'webhook')).toEqual(['a']);
    expect(recipientsFromRules(rules, ['dev-web', 'dba'], 'webhook')).toEqual(['a', 'b']);
    expect(recipientsFromRules(rules, ['auditor'], 'webhook')).toEqual(['fallback']);
    expect(recipientsFromRules(rules, ['dba'], 'other')).toEqual(['x']);
    expect(recipientsFromRules(rules, ['auditor'], 'other')).toEqual([]);
  });
});

describe('retry delays', () => {
  const policy = { attempts: 5, baseMs: 1000, maxMs: 8000 };
  it('doubles with jitter between half and the full step, capped', () => {
    expect(backoffDelayMs(policy, 1, transient('x'), () => 0)).toBe(500);
    expect(backoffDelayMs(policy, 1, transient('x'), () => 0.999)).toBe(999);
    expect(backoffDelayMs(policy, 3, transient('x'), () => 0)).toBe(2000);
    expect(backoffDelayMs(policy, 10, transient('x'), () => 0.999)).toBeLessThanOrEqual(8000);
  });
  it('waits at least Retry-After when rate limited', () => {
    expect(backoffDelayMs(policy, 1, rateLimited('slow down', 7000), () => 0)).toBe(7000);
    expect(backoffDelayMs(policy, 1, rateLimited('slow down', 7000), () => 0.999)).toBeLessThan(8000);
  });
  it('treats permanent and auth errors as dead letters, the rest as retryable', () => {
    expect(isPermanent(permanent('no such channel'))).toBe(true);
    expect(isPermanent(transient('timeout'))).toBe(false);
    expect(isPermanent(new Error('socket hang up'))).toBe(false);
  });
});

describe('job ids', () => {
  it('are deterministic, colon-free and not integers', () => {
    const a = jobIdFor({ op: 'update', plugin: 'p', requestId: 'r:1', target: 't', version: 3 });
    expect(a).toBe(jobIdFor({ op: 'update', plugin: 'p', requestId: 'r:1', target: 't', version: 3 }));
    expect(a).not.toContain(':');
    expect(a).not.toBe(jobIdFor({ op: 'update', plugin: 'p', requestId: 'r:1', target: 't', version: 4 }));
    expect(Number.isInteger(Number(jobIdFor({ op: 'route', plugin: '1', requestId: '2', version: 3 })))).toBe(
      false,
    );
  });
});

describe('route jobs', () => {
  const entries = Array.from({ length: 70 }, (_, i) => ({ id: `r${i}`, version: 1 + (i % 3) }));
  it('route one request per job, with the per-version id, when it arrives alone', () => {
    expect(routeJobs('p', [{ id: 'r1', version: 2 }], 32)).toEqual([
      { op: 'route', plugin: 'p', requestId: 'r1', version: 2 },
    ]);
    expect(jobIdFor(routeJobs('p', [{ id: 'r1', version: 2 }], 32)[0]!)).toBe('route.p.r1.v2');
  });
  it('route many in batches that cover each request version once', () => {
    const jobs = routeJobs('p', entries, 32);
    expect(jobs.map((j) => j.batch?.length ?? 1)).toEqual([32, 32, 6]);
    expect(jobs.flatMap((j) => j.batch ?? [])).toEqual(entries);
    expect(jobs.every((j) => j.op === 'route-batch' && j.requestId === j.batch![0]!.id)).toBe(true);
  });
  it('give a batch the same id whatever order it was seen in, and another id for other versions', () => {
    const batch = entries.slice(0, 5);
    const id = jobIdFor({ op: 'route-batch', plugin: 'p', requestId: 'r0', batch });
    expect(jobIdFor({ op: 'route-batch', plugin: 'p', requestId: 'r4', batch: [...batch].reverse() })).toBe(
      id,
    );
    const newer = batch.map((e, i) => (i === 2 ? { ...e, version: e.version + 1 } : e));
    expect(jobIdFor({ op: 'route-batch', plugin: 'p', requestId: 'r0', batch: newer })).not.toBe(id);
    expect(id).not.toContain(':');
  });
});

describe('the way to a platform', () => {
  const tick = () => new Promise((r) => setTimeout(r, 5));
  it('keeps at most `concurrency` calls in flight', async () => {
    const gate = new PlatformGate(3);
    let inFlight = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        gate.call(async () => {
          most = Math.max(most, ++inFlight);
          await tick();
          inFlight--;
        }),
      ),
    );
    expect(most).toBe(3);
  });
  it('makes no call while Retry-After runs, then sends one probe before the rest', async () => {
    const gate = new PlatformGate(8);
    let calls = 0;
    gate.pause(60);
    await expect(gate.call(async () => calls++)).rejects.toBeInstanceOf(PlatformPaused);
    expect(calls).toBe(0);
    await new Promise((r) => setTimeout(r, 70));
    let inFlight = 0;
    const seen: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, () =>
        gate.call(async () => {
          seen.push(++inFlight);
          await tick();
          inFlight--;
        }),
      ),
    );
    // The probe ran alone; once it answered, the other five ran side by side.
    expect(seen[0]).toBe(1);
    expect(Math.max(...seen)).toBe(5);
  });
});

describe('loading plugins', () => {
  it('loads only the plugins a host is configured with, and all of them when not told', async () => {
    const all = await loadPluginDefinitions();
    expect([...all.keys()]).toEqual(expect.arrayContaining(['webhook', 'slack']));
    const some = await loadPluginDefinitions(undefined, ['webhook', 'no-such-plugin']);
    expect([...some.keys()]).toEqual(['webhook']);
    expect(some.get('webhook')).toBe(all.get('webhook'));
  });
});

describe('finding Redis', () => {
  it('reads redis://, rediss:// and unix:// URLs', () => {
    expect(redisOptionsFromUrl('redis://u:p%40ss@db.example:6380/2')).toMatchObject({
      host: 'db.example',
      port: 6380,
      username: 'u',
      password: 'p@ss',
      db: 2,
    });
    expect(redisOptionsFromUrl('rediss://cache.example')).toMatchObject({ port: 6379, tls: {} });
    expect(redisOptionsFromUrl('unix:///run/redis/redis.sock')).toMatchObject({
      path: '/run/redis/redis.sock',
    });
    expect(() => redisOptionsFromUrl('http://x')).toThrow(/redis:\/\//);
  });

  async function closedPort(): Promise<number> {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    return port;
  }

  it('starts a private redis-server in the data dir when nothing else is there, and shares it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accessbot-host-redis-'));
    const config = configSchema.parse({ api: { data_dir: dir } });
    const log = createLogger({ level: 'silent' });
    const localAddress = { host: '127.0.0.1', port: await closedPort() };
    const first = await resolveRedis(config, log, { localAddress });
    try {
      expect(first.options.path).toBe(join(dir, 'redis', 'redis.sock'));
      const second = await resolveRedis(config, log, { localAddress });
      expect(second.options.path).toBe(first.options.path);
      await second.stop();
      const client = new Redis(first.options);
      expect(await client.ping()).toBe('PONG');
      client.disconnect();
    } finally {
      await first.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops with REDIS_UNAVAILABLE and how to get Redis when there is none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accessbot-host-redis-'));
    try {
      const config = configSchema.parse({ api: { data_dir: dir } });
      const err = await resolveRedis(config, createLogger({ level: 'silent' }), {
        localAddress: { host: '127.0.0.1', port: await closedPort() },
        redisServer: 'no-such-redis-server-binary',
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
      expect((err as Error).message).toMatch(/REDIS_URL/);
      expect((err as Error).message).not.toContain('\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('webhook signature', () => {
  const secret = 'unit-secret-0123456789';
  const body = Buffer.from('{"a":1}');
  const now = 1_700_000_000_000;
  const ts = String(now / 1000);
  const headers = (sig: string, t = ts) => ({ 'x-accessbot-signature': sig, 'x-accessbot-timestamp': t });
  it('accepts its own signature and refuses forged, missing and stale ones', () => {
    expect(verify(secret, headers(sign(secret, ts, body)), body, 300, now)).toEqual({ ok: true });
    expect(verify(secret, headers(sign('other-secret-0123456', ts, body)), body, 300, now)).toEqual({
      ok: false,
      reason: 'forged',
    });
    expect(verify(secret, headers(sign(secret, ts, body)), Buffer.from('{"a":2}'), 300, now)).toEqual({
      ok: false,
      reason: 'forged',
    });
    expect(verify(secret, {}, body, 300, now)).toEqual({ ok: false, reason: 'missing' });
    const old = String(now / 1000 - 301);
    expect(verify(secret, headers(sign(secret, old, body), old), body, 300, now)).toEqual({
      ok: false,
      reason: 'stale',
    });
  });
});

describe('starting the host', () => {
  it('refuses a plugin block its schema rejects, naming the setting, and a block for a plugin that does not exist', async () => {
    const { startHost } = await import('../../src/host/index.js');
    const { HttpAccessClient } = await import('../../src/client/http-access-client.js');
    const client = new HttpAccessClient({ baseUrl: 'http://127.0.0.1:9', token: 'unused' });
    const base = { host: { listen: '127.0.0.1:0', redis: { prefix: 'unit-bad-config' } } };
    const redis = { path: process.env.ACCESSBOT_TEST_REDIS_SOCKET!, maxRetriesPerRequest: null };
    const log = createLogger({ level: 'silent' });
    const bad = startHost({
      config: configSchema.parse({ ...base, plugins: { webhook: { secret: 'short' } } }),
      client,
      log,
      redis,
    });
    await expect(bad).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      details: [expect.objectContaining({ path: expect.stringContaining('plugins.webhook.secret') })],
    });
    const unknown = startHost({
      config: configSchema.parse({ ...base, plugins: { 'no-such-plugin': {} } }),
      client,
      log,
      redis,
    });
    // The same report the config loader gives for a block of a plugin that is not installed.
    await expect(unknown).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      details: [
        expect.objectContaining({
          path: 'plugins.no-such-plugin',
          message: expect.stringContaining('unknown plugin'),
        }),
      ],
    });
  });
});
