// `host.redis` → the ioredis options every connection of the host uses (its own, the fail-fast
// one, and BullMQ's queues and workers, which build theirs from the same object): one Redis by
// URL, or Redis Sentinel; credentials, db and TLS on top of either. Passwords go into the options
// only, never into the description that is logged.

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { RedisOptions } from 'bullmq';
import type { RedisConfig } from '../../config/schema.js';
import { AccessbotError } from '../../errors.js';

export interface ConfiguredRedis {
  options: RedisOptions;
  /** Where it points, for the log: addresses and names, never a password. */
  description: string;
}

/** redis://[user:pass@]host:port[/db], rediss://…, unix:///path/to.sock → ioredis options. */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const u = new URL(url);
  const base: RedisOptions = { maxRetriesPerRequest: null };
  if (u.protocol === 'unix:') return { ...base, path: decodeURIComponent(u.pathname) };
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw configProblem('host.redis.url', `expected redis://, rediss:// or unix://, got ${u.protocol}`);
  }
  const db = u.pathname.replace(/^\//, '');
  return {
    ...base,
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** What is wrong with one key of host.redis; `details` names it so `config check` can point at it. */
export interface RedisConfigProblem {
  path: string;
  problem: string;
}

function configProblem(path: string, problem: string): AccessbotError {
  return new AccessbotError('CONFIG_INVALID', `${path}: ${problem}`, {
    path,
    problem,
  } satisfies RedisConfigProblem);
}

/** `host:port` or `[v6]:port` → ioredis' sentinel address. */
function sentinelAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(at + 1)) };
}

function readPem(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw configProblem(`host.redis.tls.${key}`, `cannot read ${path} (${code})`);
  }
}

/** The files of `host.redis.tls`, read now, so a missing one stops the start with its path. */
export function tlsOptions(tls: NonNullable<RedisConfig['tls']>): ConnectionOptions {
  return {
    ...(tls.ca_file ? { ca: readPem('ca_file', tls.ca_file) } : {}),
    ...(tls.cert_file ? { cert: readPem('cert_file', tls.cert_file) } : {}),
    ...(tls.key_file ? { key: readPem('key_file', tls.key_file) } : {}),
    ...(tls.servername ? { servername: tls.servername } : {}),
  };
}

/**
 * After a failover the old master may answer for a moment as a replica: a write then fails with
 * READONLY. Reconnecting (and, in Sentinel mode, asking the sentinels again) and resending the
 * command reaches the new master instead of failing the caller.
 */
function reconnectOnReadonly(err: Error): 2 | false {
  return err.message.startsWith('READONLY') ? 2 : false;
}

/** Whether `host.redis` names a Redis itself (else the host looks on 127.0.0.1:6379 or starts one). */
export function redisIsConfigured(redis: RedisConfig, envUrl?: string): boolean {
  return Boolean(redis.sentinels || redis.url || envUrl);
}

export function redisOptionsFromConfig(redis: RedisConfig, envUrl?: string): ConfiguredRedis {
  const auth: RedisOptions = {
    ...(redis.username ? { username: redis.username } : {}),
    ...(redis.password ? { password: redis.password } : {}),
    ...(redis.db !== undefined ? { db: redis.db } : {}),
  };
  const tls = redis.tls ? tlsOptions(redis.tls) : undefined;
  if (redis.sentinels) {
    const options: RedisOptions = {
      maxRetriesPerRequest: null,
      sentinels: redis.sentinels.map(sentinelAddress),
      name: redis.master_name!,
      role: 'master',
      // Not ioredis' failoverDetector: when its +switch-master arrives while a connection is
      // still retrying the dead master, that connection ends for good ("Connection is closed.",
      // ioredis 5.11; seen in test/fault/redis-sentinel.test.ts). A failover closes clients of
      // the old master anyway (a killed server, or the sentinel's CLIENT KILL on demotion).
      ...(redis.sentinel_username ? { sentinelUsername: redis.sentinel_username } : {}),
      ...(redis.sentinel_password ? { sentinelPassword: redis.sentinel_password } : {}),
      ...auth,
      ...(tls ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
      reconnectOnError: reconnectOnReadonly,
    };
    return {
      options,
      description: `sentinel master ${redis.master_name} via ${redis.sentinels.join(',')}${tls ? ' (tls)' : ''}`,
    };
  }
  const url = redis.url ?? envUrl;
  if (!url) throw configProblem('host.redis', 'set url or sentinels');
  const fromUrl = redisOptionsFromUrl(url);
  const options: RedisOptions = {
    ...fromUrl,
    ...auth,
    ...(tls ? { tls: { ...(fromUrl.tls ?? {}), ...tls } } : {}),
    reconnectOnError: reconnectOnReadonly,
  };
  const where = options.path ? `unix socket ${options.path}` : `${options.host}:${options.port}`;
  return { options, description: `${where}${options.tls ? ' (tls)' : ''}` };
}
