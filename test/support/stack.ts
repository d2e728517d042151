// API + plugin host in one test process, on the shared test Redis with a fresh key prefix, so
// plugin suites drive the whole path: create a request → the plugin posts → a signed click
// comes back → a review by the mapped person.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ensureServiceToken } from '../../src/api/server.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import type { UserInput } from '../../src/client/types.js';
import { configurePlugins } from '../../src/config/plugin-blocks.js';
import {
  type Config,
  configSchema,
  type DeliveryConfigInput,
  type RouteRule,
} from '../../src/config/schema.js';
import { type RunningHost, type StartHostOptions, startHost } from '../../src/host/index.js';
import { createLogger } from '../../src/log.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { startTestApi, type TestApi } from './api.js';
import type { HostProcessSpec } from './host-process.js';

export interface TestStackOptions {
  rolesYaml: string;
  users: UserInput[];
  /** Plugin config blocks by id (as under `plugins:` in the config file). */
  plugins: Record<string, unknown>;
  routing?: RouteRule[];
  delivery?: DeliveryConfigInput;
  /** `host.reminders` (after, every, max). */
  reminders?: Record<string, unknown>;
  /** `host.step_up_roles`. */
  stepUpRoles?: string[];
  /** A Redis of the test's own (one it stops and restarts); default: the shared test Redis. */
  redis?: { path: string; maxRetriesPerRequest: null };
  /** Plugin definitions; default: every folder under plugins/. */
  definitions?: Map<string, PluginDefinition>;
  /** Shorter crash-recovery timings, as fault tests use. */
  tuning?: StartHostOptions['tuning'];
  logLevel?: string;
  /** The API's expiry sweep interval, e.g. '200ms' (default: the config default). */
  expiryInterval?: string;
  /** Where the host's JSON log lines go (default stdout), for tests that read the log. */
  logDestination?: NodeJS.WritableStream;
  /** `host.redis.request_retention`, e.g. '8d' (default: the config default). */
  requestRetention?: string;
}

export interface TestStack {
  api: TestApi['api'];
  adminClient: HttpAccessClient;
  clientFor(user: string): Promise<HttpAccessClient>;
  /** The client the host uses (identity `accessbot-host`, role `accessbot-plugin`). */
  hostClient: HttpAccessClient;
  host: RunningHost;
  hookUrl(pluginId: string, path?: string): string;
  redisOptions: { path: string; maxRetriesPerRequest: null };
  /** The Redis key prefix of this stack. */
  prefix: string;
  /** The host's whole config (for listDeliveries / retryDeliveries). */
  config: Config;
  waitFor<T>(cond: () => T | Promise<T>, timeoutMs?: number, what?: string): Promise<NonNullable<T>>;
  stop(): Promise<void>;
}

export function testRedisOptions(): { path: string; maxRetriesPerRequest: null } {
  const path = process.env.ACCESSBOT_TEST_REDIS_SOCKET;
  if (!path) throw new Error('ACCESSBOT_TEST_REDIS_SOCKET is not set: run through vitest (global setup)');
  return { path, maxRetriesPerRequest: null };
}

/** Polls until `cond` returns something truthy; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  cond: () => T | Promise<T>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${String(lastErr)})` : ''}`,
      );
    }
    await sleep(25);
  }
}

/** A port free on 127.0.0.1 right now (the OS picks it; the stack listens on it next). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startTestStack(opts: TestStackOptions): Promise<TestStack> {
  const testApi = await startTestApi({
    rolesYaml: opts.rolesYaml,
    users: opts.users,
    ...(opts.expiryInterval ? { expiryInterval: opts.expiryInterval } : {}),
  });
  const redisOptions = opts.redis ?? testRedisOptions();
  const prefix = `t${randomUUID().slice(0, 8)}`;
  try {
    const token = await ensureServiceToken(testApi.api.store, 'accessbot-host', ['accessbot-plugin']);
    const hostClient = new HttpAccessClient({ baseUrl: testApi.api.url, token });
    // A port chosen up front, so host.public_url (review links) can name it.
    const port = await freePort();
    const config = configSchema.parse({
      host: {
        listen: `127.0.0.1:${port}`,
        public_url: `http://127.0.0.1:${port}`,
        redis: { prefix, ...(opts.requestRetention ? { request_retention: opts.requestRetention } : {}) },
        routing: opts.routing ?? [],
        delivery: { backoff: '100ms', max_backoff: '2s', ...opts.delivery },
        ...(opts.reminders ? { reminders: opts.reminders } : {}),
        ...(opts.stepUpRoles ? { step_up_roles: opts.stepUpRoles } : {}),
      },
      plugins: opts.plugins,
    });
    const host = await startHost({
      config,
      client: hostClient,
      log: createLogger({
        level: opts.logLevel ?? process.env.ACCESSBOT_TEST_LOG_LEVEL ?? 'silent',
        ...(opts.logDestination ? { destination: opts.logDestination } : {}),
      }),
      redis: redisOptions,
      // Test plugins are not folders under plugins/: the config module validates their blocks.
      ...(opts.definitions ? { plugins: await configurePlugins(opts.plugins, opts.definitions) } : {}),
      ...(opts.tuning ? { tuning: opts.tuning } : {}),
    });
    return {
      api: testApi.api,
      adminClient: testApi.adminClient,
      clientFor: (user) => testApi.clientFor(user),
      hostClient,
      host,
      hookUrl: (pluginId, path = '/') =>
        `${host.url}/hooks/${pluginId}${path.startsWith('/') ? path : `/${path}`}`,
      redisOptions,
      prefix,
      config,
      waitFor,
      async stop() {
        await host.close();
        await testApi.stop();
      },
    };
  } catch (err) {
    await testApi.stop();
    throw err;
  }
}

export interface HostChild {
  url: string;
  pid: number;
  /** Sends `signal` and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** What the process wrote to stderr (warnings, errors; the last 1,000,000 characters). */
  stderr(): string;
  /** What the process wrote to stdout (the last 1,000,000 characters). */
  stdout(): string;
}

/** Starts test/support/host-process.ts as a real child process and waits until it listens. */
export async function spawnHostProcess(spec: HostProcessSpec, timeoutMs = 30_000): Promise<HostChild> {
  const entry = fileURLToPath(new URL('./host-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, ACCESSBOT_HOST_SPEC: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return hostChildReady(child, 'host process', timeoutMs);
}

/**
 * Waits for a spawned host entry to print `READY <url>`; fails with the tail of its stderr if it
 * exits first or takes longer than `timeoutMs`.
 */
export async function hostChildReady(
  child: ChildProcess,
  what: string,
  timeoutMs: number,
): Promise<HostChild> {
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err = (err + c.toString('utf8')).slice(-1_000_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out = (out + c.toString('utf8')).slice(-1_000_000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start in ${timeoutMs} ms: ${err.slice(-20_000)}`)),
      timeoutMs,
    );
    child.stdout!.on('data', () => {
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${err.slice(-20_000)}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    stderr: () => err,
    stdout: () => out,
  };
}
