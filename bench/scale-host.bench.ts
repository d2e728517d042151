// Scale of the plugin host (`npm run bench -- scale`, beside bench/scale.bench.ts): the host
// compiled (dist/, as `accessbot host` runs) in its own process, on a private Redis, delivering
// through the webhook plugin to a local receiver; the API in this process.
//
//   1. reconcile at start — for each size (1,000 / 10,000 / 100,000 pending by default), a
//      fresh API filled straight through its store (one commit per request, all queued at
//      once: seconds, not the API's create rate), then a fresh host: time until it is ready
//      (its walk of PENDING done) and until every request is delivered, deliveries/s, host
//      RSS (peak), Redis memory per request. Each figure beside the smallest size's, with the
//      growth per 1× work (time ratio ÷ size ratio: 1.0 is linear).
//   2. burst — a running host, then 10,000 requests committed at once into the API's store: how
//      long until the host's cursor reaches the last event (its stream followed the burst) and
//      until all are delivered, beside how long the API took to commit them; reconnects of the
//      host's stream and "too slow" lines of the API during the burst (both must be 0).
//
// Sizes: ACCESSBOT_BENCH_SCALE_HOST_SIZES (comma-separated, e.g. `500,2000,5000` on a busy
// machine), ACCESSBOT_BENCH_SCALE_HOST_BURST (default 10,000).

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import type { AccessRequest } from '../src/access/types.js';
import { ensureServiceToken } from '../src/api/server.js';
import { createLogger } from '../src/log.js';
import { HOST_ROLES, HOST_USERS } from '../test/host/fixtures.js';
import { startTestApi, type TestApi } from '../test/support/api.js';
import { type Receiver, startReceiver } from '../test/support/receiver.js';
import { startTestRedis } from '../test/support/redis.js';
import { type HostChild, hostChildReady, waitFor } from '../test/support/stack.js';
import type { BenchFigure, BenchSection } from './types.js';

const SIZES = (process.env.ACCESSBOT_BENCH_SCALE_HOST_SIZES ?? '1000,10000,100000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0)
  .sort((a, b) => a - b);
const BURST = Number(process.env.ACCESSBOT_BENCH_SCALE_HOST_BURST ?? 10_000);
/** Requests committed per round while filling a store (bounds the bench's own memory). */
const FILL_CHUNK = 5_000;
const SECRET = 'scale-host-secret-0123456789abcdef';
const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** What follows `node` on bin/accessbot.js's `#!/usr/bin/env -S node …` line (the heap cap). */
const BIN_NODE_FLAGS = (
  /^#!.*\bnode\b(.*)$/m.exec(readFileSync(join(ROOT, 'bin/accessbot.js'), 'utf8'))?.[1] ?? ''
)
  .trim()
  .split(/\s+/)
  .filter(Boolean);

const round = (n: number, d = 1) => Number(n.toFixed(d));
const sized = (n: number) => n.toLocaleString('en');

/** The compiled host; its log (warn and up) goes to stderr, where reconnects are counted. */
const ENTRY = `
const dist = process.env.ACCESSBOT_DIST;
const { HttpAccessClient } = await import(dist + 'src/client/http-access-client.js');
const { configSchema } = await import(dist + 'src/config/schema.js');
const { startHost } = await import(dist + 'src/host/index.js');
const { createLogger } = await import(dist + 'src/log.js');
const spec = JSON.parse(process.env.ACCESSBOT_HOST_SPEC);
const config = configSchema.parse({
  host: { listen: '127.0.0.1:0', redis: { prefix: spec.prefix }, routing: spec.routing },
  plugins: spec.plugins,
});
const host = await startHost({
  config,
  client: new HttpAccessClient({ baseUrl: spec.apiUrl, token: spec.apiToken }),
  log: createLogger({ level: 'warn', destination: process.stderr }),
  redis: { path: spec.redisSocket, maxRetriesPerRequest: null },
});
process.stdout.write('READY ' + host.url + '\\n');
process.once('SIGTERM', () => host.close().then(() => process.exit(0), () => process.exit(1)));
`;

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024);
}

interface World {
  entry: string;
  redisSocket: string;
  stats: Redis;
  receiver: Receiver;
}

interface ApiWithLog {
  api: TestApi;
  tooSlowLines(): number;
}

async function startApi(): Promise<ApiWithLog> {
  let tooSlow = 0;
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      tooSlow += (chunk.toString('utf8').match(/too slow/g) ?? []).length;
      done();
    },
  });
  const api = await startTestApi({
    rolesYaml: HOST_ROLES,
    users: HOST_USERS,
    log: createLogger({ level: 'warn', destination }),
  });
  return { api, tooSlowLines: () => tooSlow };
}

async function spawnHost(world: World, api: TestApi, prefix: string, path: string): Promise<HostChild> {
  const token = await ensureServiceToken(api.api.store, 'accessbot-host', ['accessbot-plugin']);
  const child: ChildProcess = spawn(process.execPath, [...BIN_NODE_FLAGS, world.entry], {
    env: {
      ...process.env,
      ACCESSBOT_DIST: pathToFileURL(join(ROOT, 'dist/')).href,
      ACCESSBOT_HOST_SPEC: JSON.stringify({
        apiUrl: api.api.url,
        apiToken: token,
        redisSocket: world.redisSocket,
        prefix,
        plugins: { webhook: { secret: SECRET } },
        routing: [{ roles: ['*'], targets: { webhook: [world.receiver.urlFor(path)] } }],
      }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return hostChildReady(child, 'compiled host', 60_000);
}

/** Commits `n` copies of `template` through the store, each its own request and event. */
async function fill(api: TestApi, template: AccessRequest, n: number, label: string): Promise<void> {
  for (let done = 0; done < n; ) {
    const count = Math.min(FILL_CHUNK, n - done);
    const commits: Promise<unknown>[] = [];
    // All queued before any is awaited: the store commits them back to back.
    for (let i = 0; i < count; i++) {
      commits.push(
        api.api.store.createRequest({
          ...template,
          id: randomUUID(),
          reason: `${label} ${done + i}`,
          created: new Date().toISOString(),
        }),
      );
    }
    await Promise.all(commits);
    done += count;
  }
}

async function templateOf(api: TestApi): Promise<AccessRequest> {
  const alice = await api.clientFor('alice');
  const template = await alice.createRequest({ roles: ['dba'], reason: 'template' });
  // The template itself is resolved: only the filled copies are pending.
  await api.adminClient.resolveRequest(template.id, { state: 'DENIED', reason: 'template' });
  return template;
}

async function redisUsedBytes(stats: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await stats.info('memory'))?.[1] ?? Number.NaN);
}

/** MEMORY USAGE of every key under `prefix`, summed by kind (`ver`, `refs`, `bull`...). */
async function memoryByKind(stats: Redis, prefix: string): Promise<Map<string, number>> {
  const byKind = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await stats.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 2000);
    cursor = next;
    const pipeline = stats.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key);
    const sizes = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const kind = key.slice(prefix.length + 1).split(':')[0]!;
      byKind.set(kind, (byKind.get(kind) ?? 0) + Number(sizes[i]?.[1] ?? 0));
    });
  } while (cursor !== '0');
  return byKind;
}

async function ready(host: HostChild): Promise<boolean> {
  const res = await fetch(`${host.url}/readyz`, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
  return res?.status === 200;
}

const reconnectLines = (host: HostChild) =>
  (host.stderr().match(/watch stream dropped|watch failed/g) ?? []).length;

interface ReconcileFigures {
  pending: number;
  /** Spawn → listening (node start, module load, plugin activation; the walk starts then). */
  startS: number;
  readyS: number;
  deliveredS: number;
  perSecond: number;
  peakRssMb: number;
  redisBytesPerRequest: number;
  /** used_memory after delivery minus before the host started (fixed costs included). */
  redisBytes: number;
  /** Bytes per request by key kind (MEMORY USAGE of each key). */
  perRequestByKind: Record<string, number>;
  reconnects: number;
}

async function reconcileAtStart(world: World, pending: number): Promise<ReconcileFigures> {
  const { api } = await startApi();
  let host: HostChild | undefined;
  try {
    const template = await templateOf(api);
    const fillStart = performance.now();
    await fill(api, template, pending, 'pending');
    console.error(
      `scale-host: filled ${sized(pending)} pending in ${round((performance.now() - fillStart) / 1000)} s`,
    );
    const path = `reconcile-${pending}`;
    const redisBefore = await redisUsedBytes(world.stats);
    const start = performance.now();
    const prefix = `scale${randomUUID().slice(0, 8)}`;
    host = await spawnHost(world, api, prefix, path);
    const startS = (performance.now() - start) / 1000;
    let readyS = Number.NaN;
    await waitFor(
      async () => {
        if (Number.isNaN(readyS) && (await ready(host!))) readyS = (performance.now() - start) / 1000;
        return world.receiver.postedCount(path) >= pending;
      },
      3_600_000,
      `${sized(pending)} delivered`,
    );
    const deliveredS = (performance.now() - start) / 1000;
    if (Number.isNaN(readyS)) await waitFor(() => ready(host!), 60_000, 'ready');
    const times = world.receiver
      .deliveries()
      .filter((d) => d.path === `/${path}` && d.event === 'request.posted')
      .map((d) => d.at);
    const redisAfter = await redisUsedBytes(world.stats);
    const byKind = await memoryByKind(world.stats, prefix);
    return {
      pending,
      startS: round(startS, 2),
      readyS: round(Number.isNaN(readyS) ? deliveredS : readyS, 2),
      deliveredS: round(deliveredS, 2),
      perSecond: round((times.length - 1) / ((Math.max(...times) - Math.min(...times)) / 1000)),
      peakRssMb: peakRssMb(host.pid),
      redisBytesPerRequest: Math.round((redisAfter - redisBefore) / pending),
      redisBytes: redisAfter - redisBefore,
      perRequestByKind: Object.fromEntries([...byKind].map(([k, v]) => [k, Math.round(v / pending)])),
      reconnects: reconnectLines(host),
    };
  } finally {
    await host?.kill();
    await api.stop();
  }
}

interface BurstFigures {
  committedS: number;
  followedS: number;
  deliveredS: number;
  reconnects: number;
  tooSlowLines: number;
}

async function burst(world: World): Promise<BurstFigures> {
  const { api, tooSlowLines } = await startApi();
  const prefix = `burst${randomUUID().slice(0, 8)}`;
  const path = 'burst';
  let host: HostChild | undefined;
  try {
    const template = await templateOf(api);
    host = await spawnHost(world, api, prefix, path);
    await waitFor(() => ready(host!), 60_000, 'host ready');
    const start = performance.now();
    // One round: all 10,000 queued at once, so the events go out as one burst.
    const commits: Promise<unknown>[] = [];
    for (let i = 0; i < BURST; i++) {
      commits.push(
        api.api.store.createRequest({
          ...template,
          id: randomUUID(),
          reason: `burst ${i}`,
          created: new Date().toISOString(),
        }),
      );
    }
    await Promise.all(commits);
    const committedS = (performance.now() - start) / 1000;
    const latest = await api.api.store.latestSeq();
    let followedS = Number.NaN;
    await waitFor(
      async () => {
        if (Number.isNaN(followedS) && Number(await world.stats.get(`${prefix}:watch:cursor`)) >= latest)
          followedS = (performance.now() - start) / 1000;
        return world.receiver.postedCount(path) >= BURST;
      },
      1_800_000,
      'burst delivered',
    );
    const deliveredS = (performance.now() - start) / 1000;
    await waitFor(
      async () => Number(await world.stats.get(`${prefix}:watch:cursor`)) >= latest,
      60_000,
      'cursor at the end',
    );
    if (Number.isNaN(followedS)) followedS = (performance.now() - start) / 1000;
    return {
      committedS: round(committedS, 2),
      followedS: round(followedS, 2),
      deliveredS: round(deliveredS, 2),
      reconnects: reconnectLines(host),
      tooSlowLines: tooSlowLines(),
    };
  } finally {
    await host?.kill();
    await api.stop();
  }
}

export default async function scaleHostBench(): Promise<BenchSection[]> {
  // The compiled host must match the source being measured.
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  const entryDir = mkdtempSync(join(tmpdir(), 'accessbot-bench-scale-host-'));
  const entry = join(entryDir, 'host-entry.mjs');
  writeFileSync(entry, ENTRY);
  const redis = await startTestRedis();
  const stats = new Redis({ path: redis.socket, maxRetriesPerRequest: null });
  const receiver = await startReceiver({ secret: SECRET });
  const world: World = { entry, redisSocket: redis.socket, stats, receiver };
  try {
    const runs: ReconcileFigures[] = [];
    for (const size of SIZES) {
      runs.push(await reconcileAtStart(world, size));
      console.error(`scale-host: reconcile at ${sized(size)}: ${JSON.stringify(runs.at(-1))}`);
    }
    const b = await burst(world);
    console.error(`scale-host: burst of ${sized(BURST)}: ${JSON.stringify(b)}`);

    const base = runs[0]!;
    const beside = (what: string, unit: string, pick: (r: ReconcileFigures) => number) =>
      runs.map((r) => ({
        name: `${what}, ${sized(r.pending)} pending`,
        value: pick(r),
        unit,
        ...(r === base
          ? {}
          : { baseline: { name: `${sized(base.pending)} pending`, value: pick(base), unit } }),
      }));
    const growth = (what: string, pick: (r: ReconcileFigures) => number) =>
      runs
        .slice(1)
        .map(
          (r) =>
            `${what} ${sized(base.pending)} → ${sized(r.pending)} pending (${round(r.pending / base.pending, 2)}× work): ` +
            `${round(pick(r) / pick(base), 2)}× (growth per 1× work ${round(pick(r) / pick(base) / (r.pending / base.pending), 2)})`,
        );
    const burstRows: (BenchFigure & { baseline?: BenchFigure })[] = [
      {
        name: `host's cursor at the burst's last event (from the first commit)`,
        value: b.followedS,
        unit: 's',
        baseline: { name: `the API committing the ${sized(BURST)}`, value: b.committedS, unit: 's' },
      },
      {
        name: `all ${sized(BURST)} delivered (from the first commit)`,
        value: b.deliveredS,
        unit: 's',
        baseline: { name: `the API committing the ${sized(BURST)}`, value: b.committedS, unit: 's' },
      },
      {
        name: 'events per second the host followed',
        value: round(BURST / b.followedS),
        unit: '/s',
        baseline: {
          name: 'events per second the API committed',
          value: round(BURST / b.committedS),
          unit: '/s',
        },
      },
      { name: 'reconnects of the host’s watch stream during the burst', value: b.reconnects, unit: '' },
      { name: 'API "watch reader too slow" lines during the burst', value: b.tooSlowLines, unit: '' },
    ];
    return [
      {
        title: `Plugin host: reconcile at start with ${SIZES.map(sized).join(' / ')} pending (webhook plugin, compiled host, private Redis)`,
        rows: [
          ...beside('host process start (spawn → listening)', 's', (r) => r.startS),
          ...beside('ready (walk of PENDING done), from spawn', 's', (r) => r.readyS),
          ...beside('all delivered, from spawn', 's', (r) => r.deliveredS),
          ...beside('deliveries per second, first to last', '/s', (r) => r.perSecond),
          ...beside('host peak RSS', 'MB', (r) => r.peakRssMb),
          ...beside('Redis memory per request after delivery', 'B', (r) => r.redisBytesPerRequest),
          ...beside('watch reconnects', '', (r) => r.reconnects),
        ],
        notes: [
          ...growth('all delivered', (r) => r.deliveredS),
          ...growth('ready', (r) => r.readyS),
          ...growth('all delivered after the process start', (r) => r.deliveredS - r.startS),
          ...runs
            .slice(1)
            .map(
              (r) =>
                `Redis memory per additional request ${sized(base.pending)} → ${sized(r.pending)}: ${Math.round((r.redisBytes - base.redisBytes) / (r.pending - base.pending))} B (fixed costs such as loaded scripts and queue keys cancel out)`,
            ),
          'Redis memory per request: used_memory after all are delivered minus before the host started, ÷ requests; one webhook target per request; includes BullMQ’s finished jobs (kept a day, at most 100,000 per queue), the message refs and the latest version seen (kept host.redis.request_retention).',
          `Redis bytes per request by key kind at ${sized(runs.at(-1)!.pending)} (MEMORY USAGE): ${JSON.stringify(runs.at(-1)!.perRequestByKind)} (bull: BullMQ jobs, kept a day after they finish; ver, refs: kept host.redis.request_retention)`,
          `sizes: ACCESSBOT_BENCH_SCALE_HOST_SIZES=${SIZES.join(',')}`,
        ],
      },
      {
        title: `Plugin host: a burst of ${sized(BURST)} events committed at once, followed by a running host`,
        rows: burstRows,
        notes: [`burst size: ACCESSBOT_BENCH_SCALE_HOST_BURST=${BURST}`],
      },
    ];
  } finally {
    stats.disconnect();
    await receiver.stop();
    await redis.stop();
    rmSync(entryDir, { recursive: true, force: true });
  }
}
