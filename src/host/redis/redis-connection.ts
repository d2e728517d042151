// Finds a Redis for the host: host.redis (url or sentinels, see redis-options.ts) or REDIS_URL;
// else 127.0.0.1:6379 when something answers there; else a private `redis-server` from PATH on
// a unix socket in the data dir (the embedded default of `accessbot serve`). Otherwise one clear
// line on how to get Redis.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../../config/schema.js';
import { AccessbotError } from '../../errors.js';
import type { Logger as PinoLogger } from '../../log.js';
import { redisIsConfigured, redisOptionsFromConfig } from './redis-options.js';

export interface ResolvedRedis {
  options: RedisOptions;
  /** Where it came from, for the log (never includes a password). */
  description: string;
  stop(): Promise<void>;
}

const NO_REDIS =
  'no Redis available: set REDIS_URL (or host.redis.url), run one on 127.0.0.1:6379, or install redis-server (apt-get install redis-server) so accessbot can start a private one';

export { redisOptionsFromUrl } from './redis-options.js';

async function answers(options: RedisOptions, timeoutMs: number): Promise<boolean> {
  const probe = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export interface ResolveRedisOptions {
  /** Where to look for an already running Redis (default 127.0.0.1:6379). */
  localAddress?: { host: string; port: number };
  /** The server binary (default `redis-server` from PATH). */
  redisServer?: string;
}

async function startPrivateRedis(dataDir: string, log: PinoLogger, binary: string): Promise<ResolvedRedis> {
  const dir = resolvePath(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const { args, socket, pidFile } = privateRedisServer(dir, { appendOnly: true });
  const options: RedisOptions = { path: socket, maxRetriesPerRequest: null };
  // Another accessbot process (serve, or the deliveries CLI) already runs it: share it.
  if (existsSync(socket) && (await answers(options, 300))) {
    return { options, description: `private redis-server on ${socket}`, stop: async () => {} };
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn(binary, args, { stdio: 'ignore' });
    child.on('error', () => reject(new AccessbotError('REDIS_UNAVAILABLE', NO_REDIS)));
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new AccessbotError('REDIS_UNAVAILABLE', `redis-server exited with ${code}; see ${dir}/redis.log`),
          ),
    );
  });
  const deadline = Date.now() + 10_000;
  while (!(existsSync(socket) && (await answers(options, 500)))) {
    if (Date.now() > deadline)
      throw new AccessbotError(
        'REDIS_UNAVAILABLE',
        `private redis-server did not answer; see ${dir}/redis.log`,
      );
    await sleep(50);
  }
  log.info({ socket }, 'started a private redis-server');
  return {
    options,
    description: `private redis-server on ${socket}`,
    async stop() {
      if (!existsSync(pidFile)) return;
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const until = Date.now() + 5000;
      while (Date.now() < until) {
        try {
          process.kill(pid, 0);
          await sleep(50);
        } catch {
          break;
        }
      }
      rmSync(socket, { force: true });
    },
  };
}

export async function resolveRedis(
  config: Config,
  log: PinoLogger,
  opts: ResolveRedisOptions = {},
): Promise<ResolvedRedis> {
  if (redisIsConfigured(config.host.redis, process.env.REDIS_URL)) {
    return { ...redisOptionsFromConfig(config.host.redis, process.env.REDIS_URL), stop: async () => {} };
  }
  const { host, port } = opts.localAddress ?? { host: '127.0.0.1', port: 6379 };
  const local: RedisOptions = { host, port, maxRetriesPerRequest: null };
  if (await answers(local, 300))
    return { options: local, description: `${host}:${port}`, stop: async () => {} };
  return startPrivateRedis(config.api.data_dir, log, opts.redisServer ?? 'redis-server');
}

/**
 * How a private redis-server is laid out in `dir` (unix socket only, owner-only permissions,
 * pid and log files beside it) and the arguments that start it daemonized there.
 */
export function privateRedisServer(
  dir: string,
  opts: { appendOnly: boolean; fsyncAlways?: boolean },
): { args: string[]; socket: string; pidFile: string } {
  const socket = join(dir, 'redis.sock');
  const pidFile = join(dir, 'redis.pid');
  const args = [
    ...['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir],
    ...['--appendonly', opts.appendOnly ? 'yes' : 'no', '--save', ''],
    ...(opts.fsyncAlways ? ['--appendfsync', 'always'] : []),
    ...['--daemonize', 'yes', '--pidfile', pidFile, '--logfile', join(dir, 'redis.log')],
  ];
  return { args, socket, pidFile };
}
