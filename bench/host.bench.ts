// Plugin host: deliveries per second and create→delivered latency through the webhook plugin,
// beside (a) bare BullMQ no-op jobs and (b) direct posts to the same receiver through the
// webhook plugin's own sender, all at the host's worker concurrency, on the same private Redis,
// in the same run. The host runs compiled (dist/, as `accessbot host` runs) in its own process.
//
// Phases, each on a fresh Redis key prefix and receiver path (so deliveries never collide):
//   1. drain     — 2,000 requests created while no host runs, then a host starts: its reconcile
//                  finds them all, so the figure is the host's own capacity, not the API's.
//   2. burst     — 2,000 requests created live against the running host (bounded by the API's
//                  create rate, printed beside).
//   3. steady    — 200 requests/s offered for 5 s: create→delivered latency.
//   4. warm burst — 2,000 requests committed at once into the API's store: the running host
//                  gets them all through its watch stream (neither start-up nor create rate).
//   5. memory    — a second API with exactly 10,000 pending requests: RSS of a host that delivers
//                  them live, then of a fresh host that reconciles and delivers all 10,000 at start.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { sendCard } from '../plugins/webhook/sender.js';
import { ensureServiceToken } from '../src/api/server.js';
import type { HttpAccessClient } from '../src/client/http-access-client.js';
import { cardFromRequest } from '../src/plugin-sdk/index.js';
import { HOST_ROLES, HOST_USERS } from '../test/host/fixtures.js';
import { startTestApi, type TestApi } from '../test/support/api.js';
import type { HostProcessSpec } from '../test/support/host-process.js';
import { type Receiver, startReceiver } from '../test/support/receiver.js';
import { startTestRedis } from '../test/support/redis.js';
import { hostChildReady, waitFor } from '../test/support/stack.js';
import type { BenchSection } from './types.js';

/** Requests per burst; ACCESSBOT_BENCH_BURST changes it (e.g. a longer drain to profile). */
const BURST = Number(process.env.ACCESSBOT_BENCH_BURST ?? 2_000);
/** The host's worker concurrency, and the concurrency of both baselines. */
const CONCURRENCY = Number(process.env.ACCESSBOT_BENCH_CONCURRENCY ?? 16);
const STEADY_RATE = 200;
const STEADY_SECONDS = 5;
const PENDING = 10_000;
const SECRET = 'bench-secret-0123456789abcdef';
const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** What follows `node` on bin/accessbot.js's `#!/usr/bin/env -S node …` line. */
const BIN_NODE_FLAGS = (
  /^#!.*\bnode\b(.*)$/m.exec(readFileSync(join(ROOT, 'bin/accessbot.js'), 'utf8'))?.[1] ?? ''
)
  .trim()
  .split(/\s+/)
  .filter(Boolean);

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const round = (n: number, d = 1) => Number(n.toFixed(d));

function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rssMb: round(kb('VmRSS') / 1024), peakMb: round(kb('VmHWM') / 1024) };
}

/** Read and write system calls the process has made (each socket write is one). */
function syscallsOf(pid: number): { reads: number; writes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const n = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(io)?.[1] ?? Number.NaN);
  return { reads: n('syscr'), writes: n('syscw') };
}

/** User + system CPU the process has used, in ms (clock ticks are 100 Hz on Linux). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The compiled host, started the way test/support/host-process.ts starts the source one. */
const ENTRY = `
const dist = process.env.ACCESSBOT_DIST;
const { HttpAccessClient } = await import(dist + 'src/client/http-access-client.js');
const { configSchema } = await import(dist + 'src/config/schema.js');
const { startHost } = await import(dist + 'src/host/index.js');
const { createLogger } = await import(dist + 'src/log.js');
const spec = JSON.parse(process.env.ACCESSBOT_HOST_SPEC);
const config = configSchema.parse({
  host: { listen: '127.0.0.1:0', redis: { prefix: spec.prefix }, routing: spec.routing, delivery: spec.delivery ?? {} },
  plugins: spec.plugins,
});
const host = await startHost({
  config,
  client: new HttpAccessClient({ baseUrl: spec.apiUrl, token: spec.apiToken }),
  log: createLogger({ level: spec.logLevel ?? 'warn', destination: process.stderr }),
  redis: { path: spec.redisSocket, maxRetriesPerRequest: null },
});
process.stdout.write('READY ' + host.url + '\\n');
process.once('SIGTERM', () => host.close().then(() => process.exit(0), () => process.exit(1)));
`;

/**
 * Bare BullMQ in a freshly started process, the counterpart of a freshly started host: the
 * worker is ready first, then the jobs are added, and the rate is first add → last done.
 */
const COLD_BARE_ENTRY = `
const { Queue, Worker } = await import(process.env.ACCESSBOT_BULLMQ);
const n = Number(process.env.ACCESSBOT_BARE_JOBS);
const connection = { path: process.env.ACCESSBOT_REDIS_SOCKET, maxRetriesPerRequest: null };
const name = 'bench-cold-' + process.pid;
const queue = new Queue(name, { connection });
let done = 0;
let finish;
const finished = new Promise((r) => { finish = r; });
const worker = new Worker(name, async () => { if (++done === n) finish(); }, { connection, concurrency: Number(process.env.ACCESSBOT_BARE_CONCURRENCY) });
await worker.waitUntilReady();
const start = performance.now();
for (let i = 0; i < n; i += 100) {
  await queue.addBulk(Array.from({ length: Math.min(100, n - i) }, (_, j) => ({ name: 'noop', data: { i: i + j }, opts: { jobId: 'noop-' + (i + j), removeOnComplete: true } })));
}
await finished;
process.stdout.write(String(n / ((performance.now() - start) / 1000)) + '\\n');
await worker.close();
await queue.obliterate({ force: true });
await queue.close();
process.exit(0);
`;

async function coldBareBullmqPerSecond(entry: string, socket: string): Promise<number> {
  const out = execFileSync(process.execPath, [...BIN_NODE_FLAGS, entry], {
    env: {
      ...process.env,
      // The bullmq the host itself loads (resolved from the project root).
      ACCESSBOT_BULLMQ: pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('bullmq')).href,
      ACCESSBOT_BARE_JOBS: String(BURST),
      ACCESSBOT_BARE_CONCURRENCY: String(CONCURRENCY),
      ACCESSBOT_REDIS_SOCKET: socket,
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return Number(out.trim());
}

interface DistHost {
  url: string;
  pid: number;
  /** When the process was spawned (performance.now()). */
  spawnedAt: number;
  kill(): Promise<void>;
}

async function spawnDistHost(entry: string, spec: HostProcessSpec): Promise<DistHost> {
  const spawnedAt = performance.now();
  // The node flags `accessbot host` runs with (its shebang), plus ACCESSBOT_BENCH_HOST_NODE_OPTIONS,
  // e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, to profile the host.
  const nodeArgs = [
    ...BIN_NODE_FLAGS,
    ...(process.env.ACCESSBOT_BENCH_HOST_NODE_OPTIONS ?? '').split(' '),
  ].filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, entry], {
    env: {
      ...process.env,
      // ACCESSBOT_BENCH_DIST: another build of the host (e.g. the last commit's) to compare.
      ACCESSBOT_DIST: pathToFileURL(process.env.ACCESSBOT_BENCH_DIST ?? join(ROOT, 'dist/')).href,
      ACCESSBOT_HOST_SPEC: JSON.stringify(spec),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = await hostChildReady(child, 'compiled host', 60_000);
  return { url: ready.url, pid: ready.pid, spawnedAt, kill: () => ready.kill('SIGTERM') };
}

interface RedisMeter {
  commands(): Promise<number>;
  cpuMs(): Promise<number>;
}

async function bareBullmqPerSecond(
  socket: string,
  meter: RedisMeter,
): Promise<{ perSecond: number; commandsPerJob: number; redisCpuMsPerJob: number; cpuMsPerJob: number }> {
  const commandsBefore = await meter.commands();
  const cpuBefore = await meter.cpuMs();
  const ownCpuBefore = process.cpuUsage();
  const connection = { path: socket, maxRetriesPerRequest: null };
  const queue = new Queue(`bench-noop-${randomUUID().slice(0, 8)}`, { connection });
  let done = 0;
  const worker = new Worker(
    queue.name,
    async () => {
      done++;
    },
    { connection, concurrency: CONCURRENCY },
  );
  await worker.waitUntilReady();
  const start = performance.now();
  for (let i = 0; i < BURST; i += 100) {
    await queue.addBulk(
      Array.from({ length: 100 }, (_, j) => ({
        name: 'noop',
        data: { i: i + j },
        opts: { jobId: `noop-${i + j}`, removeOnComplete: true },
      })),
    );
  }
  while (done < BURST) await sleep(5);
  const perSecond = BURST / ((performance.now() - start) / 1000);
  const ownCpu = process.cpuUsage(ownCpuBefore);
  const cpuMsPerJob = (ownCpu.user + ownCpu.system) / 1000 / BURST;
  const commandsPerJob = ((await meter.commands()) - commandsBefore) / BURST;
  const redisCpuMsPerJob = ((await meter.cpuMs()) - cpuBefore) / BURST;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { perSecond, commandsPerJob, redisCpuMsPerJob, cpuMsPerJob };
}

/** The webhook plugin's own sender (same keep-alive agent, signing, body) with no host around it. */
async function directPostsPerSecond(
  url: string,
  card: ReturnType<typeof cardFromRequest>,
): Promise<{ perSecond: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < BURST) {
        const i = next++;
        const t0 = performance.now();
        await sendCard(url, SECRET, 10_000, { event: 'request.posted', delivery: `direct-${i}`, card });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    perSecond: BURST / ((performance.now() - start) / 1000),
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
  };
}

async function createMany(client: HttpAccessClient, n: number, label: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        next++;
        ids.add((await client.createRequest({ roles: ['dba'], reason: `${label} ${next}` })).id);
      }
    }),
  );
  return ids;
}

/** Posted deliveries on one receiver path. */
const postedAt = (receiver: Receiver, path: string) =>
  receiver.deliveries().filter((d) => d.path === `/${path}` && d.event === 'request.posted');

/** Starts a host on a fresh prefix and path and measures how fast it delivers what is pending. */
async function drain(
  entry: string,
  spec: (path: string) => HostProcessSpec,
  receiver: Receiver,
  meter: RedisMeter,
  expected: number,
  path: string,
) {
  const commandsBefore = await meter.commands();
  const redisCpuBefore = await meter.cpuMs();
  const host = await spawnDistHost(entry, spec(path));
  const readyAfterMs = performance.now() - host.spawnedAt;
  const cpuAtReady = cpuMsOf(host.pid);
  const benchCpuAtReady = process.cpuUsage();
  const syscallsAtReady = syscallsOf(host.pid);
  await waitFor(() => receiver.postedCount(path) >= expected, 600_000, `${path} drained`);
  const cpuMs = cpuMsOf(host.pid) - cpuAtReady;
  const benchCpu = process.cpuUsage(benchCpuAtReady);
  const syscalls = syscallsOf(host.pid);
  const commands = (await meter.commands()) - commandsBefore;
  const redisCpuMs = (await meter.cpuMs()) - redisCpuBefore;
  const times = postedAt(receiver, path).map((d) => d.at);
  const first = Math.min(...times);
  const last = Math.max(...times);
  // Wall-clock ms since epoch of the spawn, to compare with arrival times.
  const spawnedEpoch = Date.now() - (performance.now() - host.spawnedAt);
  return {
    host,
    delivered: times.length,
    readyAfterMs,
    firstToLastPerSecond: (times.length - 1) / ((last - first) / 1000),
    spawnToLastPerSecond: times.length / ((last - spawnedEpoch) / 1000),
    cpuMsPerDelivery: cpuMs / times.length,
    /** The bench process: the API the host reads from and the receiver it posts to. */
    benchCpuMsPerDelivery: (benchCpu.user + benchCpu.system) / 1000 / times.length,
    readsPerDelivery: (syscalls.reads - syscallsAtReady.reads) / times.length,
    writesPerDelivery: (syscalls.writes - syscallsAtReady.writes) / times.length,
    redisCommandsPerDelivery: commands / times.length,
    redisCpuMsPerDelivery: redisCpuMs / times.length,
  };
}

export default async function hostBench(): Promise<BenchSection[]> {
  // The compiled host must match the source being measured.
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  const entryDir = mkdtempSync(join(tmpdir(), 'accessbot-bench-host-'));
  const entry = join(entryDir, 'host-entry.mjs');
  writeFileSync(entry, ENTRY);
  const coldBareEntry = join(entryDir, 'cold-bare-entry.mjs');
  writeFileSync(coldBareEntry, COLD_BARE_ENTRY);
  const redis = await startTestRedis();
  const stats = new Redis({ path: redis.socket, maxRetriesPerRequest: null });
  const meter: RedisMeter = {
    commands: async () =>
      Number(/total_commands_processed:(\d+)/.exec(await stats.info('stats'))?.[1] ?? Number.NaN),
    // CPU the Redis server has used: it shares the machine's cores with the host.
    cpuMs: async () => {
      const info = await stats.info('cpu');
      const f = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
      return (f('used_cpu_user') + f('used_cpu_sys')) * 1000;
    },
  };
  const apis: TestApi[] = [];
  const receiver = await startReceiver({ secret: SECRET });
  const hosts: DistHost[] = [];
  try {
    const api = await startTestApi({ rolesYaml: HOST_ROLES, users: HOST_USERS });
    apis.push(api);
    const token = await ensureServiceToken(api.api.store, 'accessbot-host', ['accessbot-plugin']);
    const alice = await api.clientFor('alice');
    const specFor =
      (apiUrl: string, apiToken: string) =>
      (path: string): HostProcessSpec => ({
        apiUrl,
        apiToken,
        redisSocket: redis.socket,
        prefix: `bench${randomUUID().slice(0, 8)}`,
        plugins: { webhook: { secret: SECRET } },
        routing: [{ roles: ['*'], targets: { webhook: [receiver.urlFor(path)] } }],
        delivery: { concurrency: CONCURRENCY },
        logLevel: 'error',
      });
    const spec = specFor(api.api.url, token);
    const delivered = (ids: Set<string>, path: string) =>
      postedAt(receiver, path).filter((d) => ids.has(d.requestId));
    // Polls a counter while the host works (scanning every delivery each poll would take CPU
    // from the host on this 2-core machine), then checks that exactly these requests arrived.
    const waitPosted = async (path: string, count: number, ids: Set<string>, ms: number, what: string) => {
      await waitFor(() => receiver.postedCount(path) >= count, ms, what);
      await waitFor(() => delivered(ids, path).length === ids.size, 10_000, `${what} (these requests)`);
    };
    const latencyOf = (ids: Set<string>, path: string) =>
      delivered(ids, path)
        .map((d) => d.at - Date.parse(d.card.created))
        .sort((a, b) => a - b);

    // Baselines on the same Redis and receiver (warms the receiver and the API too).
    // Bare BullMQ is measured three times in the run (now, after the drain, after the warm
    // burst) and the median run is the baseline: one run alone varied ±25% between runs.
    const bareRuns = [await bareBullmqPerSecond(redis.socket, meter)];
    let bareRun = bareRuns[0]!;
    let bare = bareRun.perSecond;
    const sample = await alice.createRequest({ roles: ['dba'], reason: 'sample card' });
    const direct = await directPostsPerSecond(receiver.urlFor('direct'), cardFromRequest(sample));

    const coldBare = await coldBareBullmqPerSecond(coldBareEntry, redis.socket);

    // 1. Drain: everything pending when a host starts.
    await createMany(alice, BURST, 'drain');
    const drainExpected = (await alice.listRequests({ state: 'PENDING' })).length;
    // The quick run's command table below covers the drain alone.
    if (process.env.ACCESSBOT_BENCH_QUICK) await stats.config('RESETSTAT');
    const drained = await drain(entry, spec, receiver, meter, drainExpected, 'drain');
    hosts.push(drained.host);
    if (process.env.ACCESSBOT_BENCH_QUICK) {
      // Where Redis spent its time during the drain, busiest first.
      const commandStats = (await stats.info('commandstats'))
        .split('\n')
        .map((l) => /^cmdstat_(\S+):calls=(\d+),usec=(\d+)/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ cmd: m[1]!, calls: Number(m[2]), usec: Number(m[3]) }))
        .sort((x, y) => y.usec - x.usec)
        .slice(0, 25);
      console.error(commandStats.map((c) => `${c.cmd} calls=${c.calls} usec=${c.usec}`).join('\n'));
      // Drain only, for profiling and quick comparisons.
      return [
        {
          title: `Plugin host: drain of ${drained.delivered} (quick run)`,
          rows: [
            {
              name: 'deliveries per second, first to last arrival',
              value: round(drained.firstToLastPerSecond),
              unit: '/s',
              baseline: { name: 'bare BullMQ no-op jobs', value: round(bare), unit: '/s' },
            },
            {
              name: 'host CPU per delivery',
              value: round(drained.cpuMsPerDelivery, 2),
              unit: 'ms',
              baseline: { name: 'per bare job', value: round(bareRun.cpuMsPerJob, 2), unit: 'ms' },
            },
            {
              name: 'host write system calls per delivery (HTTP + Redis)',
              value: round(drained.writesPerDelivery, 2),
              unit: '',
            },
            {
              name: 'host read system calls per delivery',
              value: round(drained.readsPerDelivery, 2),
              unit: '',
            },
            {
              name: 'bench process CPU per delivery (API + receiver)',
              value: round(drained.benchCpuMsPerDelivery, 2),
              unit: 'ms',
            },
            {
              name: 'Redis CPU per delivery',
              value: round(drained.redisCpuMsPerDelivery, 3),
              unit: 'ms',
              baseline: { name: 'per bare job', value: round(bareRun.redisCpuMsPerJob, 3), unit: 'ms' },
            },
            {
              name: 'Redis commands per delivery',
              value: round(drained.redisCommandsPerDelivery, 1),
              unit: '',
              baseline: { name: 'per bare job', value: round(bareRun.commandsPerJob, 1), unit: '' },
            },
          ],
        },
      ];
    }

    bareRuns.push(await bareBullmqPerSecond(redis.socket, meter));

    // 2. Live burst against the running (and now warm) host.
    const burstStart = Date.now();
    const burstBase = receiver.postedCount('drain');
    const burstIds = await createMany(alice, BURST, 'burst');
    const createdIn = (Date.now() - burstStart) / 1000;
    await waitPosted('drain', burstBase + BURST, burstIds, 300_000, 'burst delivered');
    const burstLat = latencyOf(burstIds, 'drain');
    const burstPerSecond =
      BURST / ((Math.max(...delivered(burstIds, 'drain').map((d) => d.at)) - burstStart) / 1000);

    // 3. Steady offered load.
    const steadyIds = new Set<string>();
    const steadyBase = receiver.postedCount('drain');
    const total = STEADY_RATE * STEADY_SECONDS;
    const steadyStart = performance.now();
    const creations: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = steadyStart + (i * 1000) / STEADY_RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      creations.push(
        alice.createRequest({ roles: ['dba'], reason: `steady ${i}` }).then((r) => void steadyIds.add(r.id)),
      );
    }
    await Promise.all(creations);
    const offered = total / ((performance.now() - steadyStart) / 1000);
    await waitPosted('drain', steadyBase + total, steadyIds, 120_000, 'steady delivered');
    const steadyLat = latencyOf(steadyIds, 'drain');

    // 4. A burst of 2,000 committed at once (straight into the API's store, so the API's
    //    create rate plays no part): the warm host gets them all through its watch stream.
    const template = await alice.createRequest({ roles: ['dba'], reason: 'warm burst template' });
    await waitFor(
      () => delivered(new Set([template.id]), 'drain').length === 1,
      30_000,
      'template delivered',
    );
    // Three bursts, like the three bare BullMQ runs: the median one is reported.
    const warmBurst = async (nth: number) => {
      const ids = new Set<string>();
      const base = receiver.postedCount('drain');
      const start = Date.now();
      // All started before any is awaited: the store commits synchronously, so the 2,000
      // transactions run back to back in one stretch and their events go out together, instead
      // of one commit per turn of the bench's event loop, interleaved with serving the host.
      const commits: Promise<unknown>[] = [];
      for (let i = 0; i < BURST; i++) {
        const id = randomUUID();
        ids.add(id);
        commits.push(
          api.api.store.createRequest({
            ...template,
            id,
            reason: `warm burst ${nth}.${i}`,
            created: new Date().toISOString(),
          }),
        );
      }
      await Promise.all(commits);
      const committedIn = (Date.now() - start) / 1000;
      await waitPosted('drain', base + BURST, ids, 300_000, 'warm burst delivered');
      const arrivals = delivered(ids, 'drain').map((d) => d.at);
      const last = Math.max(...arrivals);
      return {
        // As in the drain: the host's own rate, from its first delivery to its last.
        perSecond: (arrivals.length - 1) / ((last - Math.min(...arrivals)) / 1000),
        // Including the API committing the 2,000 and streaming them out.
        fromCommitPerSecond: BURST / ((last - start) / 1000),
        latency: latencyOf(ids, 'drain'),
        committedIn,
      };
    };
    const warmRuns = [];
    for (let nth = 0; nth < 3; nth++) warmRuns.push(await warmBurst(nth));
    const warm = [...warmRuns].sort((x, y) => x.perSecond - y.perSecond)[1]!;
    const warmPerSecond = warm.perSecond;
    const warmFromCommitPerSecond = warm.fromCommitPerSecond;
    const warmLat = warm.latency;
    const committedIn = warm.committedIn;
    await hosts.pop()!.kill();
    bareRuns.push(await bareBullmqPerSecond(redis.socket, meter));
    bareRun = [...bareRuns].sort((x, y) => x.perSecond - y.perSecond)[1]!;
    bare = bareRun.perSecond;
    const bareNote = `bare BullMQ baseline: median of three runs in this bench (${bareRuns
      .map((r) => `${round(r.perSecond)}/s`)
      .join(
        ', ',
      )}), each ${BURST.toLocaleString('en')} no-op jobs at concurrency ${CONCURRENCY} in the bench process`;

    // 5. Memory: a second API holding exactly 10,000 pending requests.
    const api2 = await startTestApi({ rolesYaml: HOST_ROLES, users: HOST_USERS });
    apis.push(api2);
    const token2 = await ensureServiceToken(api2.api.store, 'accessbot-host', ['accessbot-plugin']);
    const bob = await api2.clientFor('alice');
    const spec2 = specFor(api2.api.url, token2);
    const liveHost = await spawnDistHost(entry, spec2('mem-live'));
    hosts.push(liveHost);
    await sleep(1000);
    const idle = memoryOf(liveHost.pid);
    const pendingIds = await createMany(bob, PENDING, 'pending');
    await waitPosted('mem-live', PENDING, pendingIds, 600_000, 'pending delivered');
    const afterLive = memoryOf(liveHost.pid);
    const pendingTotal = (await bob.listRequests({ state: 'PENDING' })).length;
    await hosts.pop()!.kill();
    const reconciled = await drain(entry, spec2, receiver, meter, PENDING, 'mem-reconcile');
    hosts.push(reconciled.host);
    await sleep(1000);
    const afterReconcile = memoryOf(reconciled.host.pid);

    /** p50 and p99 of `sorted`, each beside the direct post's. */
    const latencyBesideDirect = (what: string, sorted: number[]) =>
      ([50, 99] as const).map((p) => ({
        name: `${what} p${p}`,
        value: round(pct(sorted, p)),
        unit: 'ms',
        baseline: { name: `direct post p${p}`, value: round(p === 50 ? direct.p50 : direct.p99), unit: 'ms' },
      }));
    const machine = `machine: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; host compiled (dist/), concurrency ${CONCURRENCY}`;
    return [
      {
        title: `Plugin host: drain of ${drained.delivered.toLocaleString('en')} requests pending at host start (webhook plugin)`,
        rows: [
          {
            name: 'deliveries per second, first to last arrival',
            value: round(drained.firstToLastPerSecond),
            unit: '/s',
            baseline: { name: 'bare BullMQ no-op jobs, fresh process', value: round(coldBare), unit: '/s' },
          },
          {
            name: 'deliveries per second, first to last arrival',
            value: round(drained.firstToLastPerSecond),
            unit: '/s',
            baseline: { name: 'bare BullMQ no-op jobs (median run)', value: round(bare), unit: '/s' },
          },
          {
            name: 'deliveries per second, first to last arrival',
            value: round(drained.firstToLastPerSecond),
            unit: '/s',
            baseline: {
              name: 'direct posts (webhook sender, same concurrency)',
              value: round(direct.perSecond),
              unit: '/s',
            },
          },
          {
            name: 'deliveries per second, process spawn to last arrival',
            value: round(drained.spawnToLastPerSecond),
            unit: '/s',
            baseline: { name: 'bare BullMQ no-op jobs', value: round(bare), unit: '/s' },
          },
          {
            name: `drain of ${reconciled.delivered.toLocaleString('en')} at start, first to last`,
            value: round(reconciled.firstToLastPerSecond),
            unit: '/s',
            baseline: { name: 'bare BullMQ no-op jobs', value: round(bare), unit: '/s' },
          },
          {
            name: 'host CPU per delivery (user+sys)',
            value: round(drained.cpuMsPerDelivery, 2),
            unit: 'ms',
            baseline: {
              name: 'bench process CPU per bare BullMQ job (queue + worker)',
              value: round(bareRun.cpuMsPerJob, 2),
              unit: 'ms',
            },
          },
          {
            name: 'Redis server CPU per delivery',
            value: round(drained.redisCpuMsPerDelivery, 3),
            unit: 'ms',
            baseline: {
              name: 'per bare BullMQ no-op job',
              value: round(bareRun.redisCpuMsPerJob, 3),
              unit: 'ms',
            },
          },
          {
            name: 'Redis commands per delivery (incl. those run inside Lua scripts)',
            value: round(drained.redisCommandsPerDelivery, 1),
            unit: '',
            baseline: {
              name: 'per bare BullMQ no-op job',
              value: round(bareRun.commandsPerJob, 1),
              unit: '',
            },
          },
          { name: 'host start (spawn → listening)', value: Math.round(drained.readyAfterMs), unit: 'ms' },
        ],
        notes: [
          'requests were created while no host ran; the host found them with its start-up reconcile, so the API create rate plays no part',
          bareNote,
          machine,
        ],
      },
      {
        title: `Plugin host: live burst of ${BURST.toLocaleString('en')} requests created through the API`,
        rows: [
          {
            name: 'deliveries per second (first create to last arrival)',
            value: round(burstPerSecond),
            unit: '/s',
            baseline: { name: 'API creates per second', value: round(BURST / createdIn), unit: '/s' },
          },
          ...latencyBesideDirect('create→delivered', burstLat),
        ],
        notes: [
          'the burst is created at the API’s pace (16 concurrent clients in the bench process), so this rate cannot exceed the create rate beside it',
        ],
      },
      {
        title: `Plugin host: burst of ${BURST.toLocaleString('en')} requests committed at once, running host (webhook plugin)`,
        rows: [
          {
            name: 'deliveries per second, first to last arrival',
            value: round(warmPerSecond),
            unit: '/s',
            baseline: { name: 'bare BullMQ no-op jobs', value: round(bare), unit: '/s' },
          },
          {
            name: 'deliveries per second, first to last arrival',
            value: round(warmPerSecond),
            unit: '/s',
            baseline: {
              name: 'direct posts (webhook sender, same concurrency)',
              value: round(direct.perSecond),
              unit: '/s',
            },
          },
          {
            name: 'deliveries per second, first commit to last arrival (the API committing included)',
            value: round(warmFromCommitPerSecond),
            unit: '/s',
            baseline: { name: 'bare BullMQ no-op jobs', value: round(bare), unit: '/s' },
          },
          ...latencyBesideDirect('commit→delivered', warmLat),
        ],
        notes: [
          `median of three bursts in this bench (first to last arrival: ${warmRuns.map((r) => `${round(r.perSecond)}/s`).join(', ')}); the other figures from the median one`,
          `each burst's ${BURST.toLocaleString('en')} were committed back to back in ~${round(committedIn * 1000)} ms (SQLite, in the bench process); their events leave the API together when the stretch ends and reach the host through its watch stream`,
        ],
      },
      {
        title: `Plugin host: steady ${STEADY_RATE} requests/s offered for ${STEADY_SECONDS} s`,
        rows: [
          { name: 'create→delivered p50', value: round(pct(steadyLat, 50)), unit: 'ms' },
          {
            name: 'create→delivered p99',
            value: round(pct(steadyLat, 99)),
            unit: 'ms',
            baseline: { name: 'goal', value: 100, unit: 'ms' },
          },
          { name: 'offered rate achieved', value: round(offered), unit: 'req/s' },
        ],
      },
      {
        title: `Plugin host: resident memory with ${pendingTotal.toLocaleString('en')} pending requests (compiled host)`,
        rows: [
          {
            name: 'RSS after delivering all live',
            value: afterLive.rssMb,
            unit: 'MB',
            baseline: { name: 'goal', value: 200, unit: 'MB' },
          },
          {
            name: 'peak RSS while delivering live',
            value: afterLive.peakMb,
            unit: 'MB',
            baseline: { name: 'goal', value: 200, unit: 'MB' },
          },
          {
            name: 'RSS after delivering all live',
            value: afterLive.rssMb,
            unit: 'MB',
            baseline: { name: 'same host idle at start', value: idle.rssMb, unit: 'MB' },
          },
          {
            name: 'RSS after a fresh host reconciled and delivered all',
            value: afterReconcile.rssMb,
            unit: 'MB',
            baseline: { name: 'goal', value: 200, unit: 'MB' },
          },
          {
            name: 'peak RSS of that host',
            value: afterReconcile.peakMb,
            unit: 'MB',
            baseline: { name: 'goal', value: 200, unit: 'MB' },
          },
        ],
        notes: [`a second API (own SQLite) holds exactly these pending requests; ${machine}`],
      },
    ];
  } finally {
    for (const h of hosts) await h.kill().catch(() => {});
    stats.disconnect();
    await receiver.stop();
    for (const a of apis) await a.stop();
    await redis.stop();
    rmSync(entryDir, { recursive: true, force: true });
  }
}
