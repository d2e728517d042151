// A private Redis Sentinel set-up per test: a master, one replica and one sentinel
// (`redis-server --sentinel`), each on a free port on 127.0.0.1 (a sentinel hands out
// host:port addresses, so no unix sockets here), with passwords on the servers and on the
// sentinel. Temp dirs only; every process is ours and stopped by pid.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';

export const MASTER_NAME = 'accessbot-test';

export interface RedisNode {
  port: number;
  pid(): number;
  /** A plain client of this node (the caller disconnects it). */
  client(): Redis;
}

export interface TestSentinel {
  dir: string;
  nodes: RedisNode[];
  sentinelPort: number;
  /** Password of the Redis servers, and of the sentinel itself. */
  password: string;
  sentinelPassword: string;
  /** The port the sentinel currently names as master. */
  masterPort(): Promise<number>;
  /** ioredis options for a plain client of the sentinel itself. */
  sentinelClientOptions: RedisOptions;
  /** SIGKILLs a node (it stays down). */
  kill(node: RedisNode): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function daemon(args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    child.on('error', (err) =>
      reject(new Error(`cannot start redis-server (${err.message}); run scripts/ensure-system.sh`)),
    );
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`redis-server exited with ${code}`)),
    );
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** PEM files for TLS-only servers: every node and the sentinel listen on TLS ports only. */
export interface SentinelTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The name in the servers' certificate. */
  servername: string;
}

export async function startTestSentinel(opts: { tls?: SentinelTls } = {}): Promise<TestSentinel> {
  const { tls } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'accessbot-sentinel-'));
  const tlsArgs = tls
    ? [
        ...['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile],
        ...['--tls-replication', 'yes', '--tls-auth-clients', 'no'],
      ]
    : [];
  const tlsClient = tls ? { tls: { ca: readFileSync(tls.caFile), servername: tls.servername } } : {};
  const password = 'redis-pw-0123456789';
  const sentinelPassword = 'sentinel-pw-0123456789';
  const pids: number[] = [];
  const pidOf = (file: string) => Number(readFileSync(file, 'utf8').trim());
  const startNode = async (name: string, replicaOf?: number): Promise<RedisNode> => {
    const port = await freePort();
    const pidFile = join(dir, `${name}.pid`);
    await daemon([
      ...(tls ? ['--port', '0', '--tls-port', String(port), ...tlsArgs] : ['--port', String(port)]),
      ...['--bind', '127.0.0.1', '--dir', dir, '--dbfilename', `${name}.rdb`],
      ...['--appendonly', 'yes', '--appendfilename', `${name}.aof`, '--appendfsync', 'always', '--save', ''],
      ...['--requirepass', password, '--masterauth', password],
      ...(replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf)] : []),
      ...['--daemonize', 'yes', '--pidfile', pidFile, '--logfile', join(dir, `${name}.log`)],
    ]);
    const node: RedisNode = {
      port,
      pid: () => pidOf(pidFile),
      client: () =>
        new Redis({
          host: '127.0.0.1',
          port,
          password,
          maxRetriesPerRequest: 1,
          lazyConnect: true,
          ...tlsClient,
        }),
    };
    await until(async () => {
      const c = node.client();
      c.on('error', () => {});
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } finally {
        c.disconnect();
      }
    }, `redis ${name} on ${port}`);
    pids.push(node.pid());
    return node;
  };

  const master = await startNode('master');
  const replica = await startNode('replica', master.port);
  const sentinelPort = await freePort();
  const sentinelConf = join(dir, 'sentinel.conf');
  // The sentinel rewrites this file as it learns the set-up; it must be writable.
  writeFileSync(
    sentinelConf,
    [
      ...(tls
        ? [
            'port 0',
            `tls-port ${sentinelPort}`,
            `tls-cert-file ${tls.certFile}`,
            `tls-key-file ${tls.keyFile}`,
            `tls-ca-cert-file ${tls.caFile}`,
            'tls-replication yes',
            'tls-auth-clients no',
          ]
        : [`port ${sentinelPort}`]),
      'bind 127.0.0.1',
      `dir ${dir}`,
      `requirepass ${sentinelPassword}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 1`,
      `sentinel auth-pass ${MASTER_NAME} ${password}`,
      // Short, so a killed master is replaced in a couple of seconds.
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 5000`,
      `daemonize yes`,
      `pidfile ${join(dir, 'sentinel.pid')}`,
      `logfile ${join(dir, 'sentinel.log')}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  await daemon([sentinelConf, '--sentinel']);
  const sentinelClient = () =>
    new Redis({
      host: '127.0.0.1',
      port: sentinelPort,
      password: sentinelPassword,
      lazyConnect: true,
      ...tlsClient,
    });
  const ask = async <T>(fn: (c: Redis) => Promise<T>): Promise<T> => {
    const c = sentinelClient();
    c.on('error', () => {});
    try {
      await c.connect();
      return await fn(c);
    } finally {
      c.disconnect();
    }
  };
  const masterPort = async () => {
    const addr = (await ask((c) => c.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME))) as string[];
    return Number(addr[1]);
  };
  // Ready when the sentinel has found the replica (it learns replicas from the master's INFO).
  await until(async () => {
    const replicas = (await ask((c) => c.call('SENTINEL', 'replicas', MASTER_NAME))) as string[][];
    return replicas.some((r) => r.includes(String(replica.port)) && r.join(' ').includes('slave'));
  }, 'the sentinel to see the replica');
  pids.push(pidOf(join(dir, 'sentinel.pid')));

  return {
    dir,
    nodes: [master, replica],
    sentinelPort,
    password,
    sentinelPassword,
    sentinelClientOptions: {
      host: '127.0.0.1',
      port: sentinelPort,
      password: sentinelPassword,
      ...tlsClient,
    },
    masterPort,
    async kill(node) {
      const pid = node.pid();
      process.kill(pid, 'SIGKILL');
      await until(async () => !alive(pid), `redis ${node.port} to exit`);
    },
    async stop() {
      for (const pid of pids) {
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
      for (const pid of pids) await until(async () => !alive(pid), `pid ${pid} to exit`).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
