// Plugin host: create→delivered latency and deliveries per second for a burst of 2,000
// requests through the webhook plugin (host in its own process, as `accessbot host` runs),
// beside (a) bare BullMQ no-op jobs and (b) direct HTTP posts to the same receiver, all on
// the same private Redis in the same run. Then latency at a steady 200 requests/s offered,
// and the host's resident memory with 10,000 pending requests (also right after a restart,
// when it reconciles all of them).

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { ensureServiceToken } from '../src/api/server.js';
import { cardFromRequest, hmacSha256Hex } from '../src/plugin-sdk/index.js';
import { HOST_ROLES, HOST_USERS } from '../test/host/fixtures.js';
import { startTestApi } from '../test/support/api.js';
import type { HostProcessSpec } from '../test/support/host-process.js';
import { startReceiver } from '../test/support/receiver.js';
import { startTestRedis } from '../test/support/redis.js';
import { type HostChild, spawnHostProcess, waitFor } from '../test/support/stack.js';
import type { BenchSection } from './types.js';

const BURST = 2_000;
const CONCURRENCY = 16;
const STEADY_RATE = 200;
const STEADY_SECONDS = 5;
const PENDING = 10_000;
const SECRET = 'bench-secret-0123456789abcdef';

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const round = (n: number, d = 1) => Number(n.toFixed(d));

function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rssMb: round(kb('VmRSS') / 1024), peakMb: round(kb('VmHWM') / 1024) };
}

async function bareBullmqPerSecond(socket: string): Promise<number> {
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
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return perSecond;
}

async function directPostsPerSecond(
  url: string,
  body: string,
): Promise<{ perSecond: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < BURST) {
        const i = next++;
        const ts = String(Math.floor(Date.now() / 1000));
        const t0 = performance.now();
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-accessbot-delivery': `direct-${i}`,
            'x-accessbot-timestamp': ts,
            'x-accessbot-signature': `v1=${hmacSha256Hex(SECRET, ts, '.', body)}`,
          },
          body,
        });
        await res.arrayBuffer();
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

export default async function hostBench(): Promise<BenchSection[]> {
  const redis = await startTestRedis();
  const api = await startTestApi({ rolesYaml: HOST_ROLES, users: HOST_USERS });
  const receiver = await startReceiver({ secret: SECRET });
  const hosts: HostChild[] = [];
  try {
    const token = await ensureServiceToken(api.api.store, 'accessbot-host', ['accessbot-plugin']);
    const alice = await api.clientFor('alice');
    const spec = (path = 'bench'): HostProcessSpec => ({
      apiUrl: api.api.url,
      apiToken: token,
      redisSocket: redis.socket,
      prefix: `bench${randomUUID().slice(0, 8)}`,
      plugins: { webhook: { secret: SECRET } },
      routing: [{ roles: ['*'], targets: { webhook: [receiver.urlFor(path)] } }],
      delivery: { concurrency: CONCURRENCY },
      logLevel: 'error',
    });
    const latencyOf = (ids: Set<string>) =>
      receiver
        .deliveries()
        .filter((d) => ids.has(d.requestId) && d.event === 'request.posted')
        .map((d) => d.at - Date.parse(d.card.created))
        .sort((a, b) => a - b);
    const deliveredCount = (ids: Set<string>) =>
      receiver.deliveries().filter((d) => ids.has(d.requestId) && d.event === 'request.posted').length;

    // Warm up the API, the host and the receiver path.
    hosts.push(await spawnHostProcess(spec()));
    const warm = new Set<string>();
    for (let i = 0; i < 100; i++)
      warm.add((await alice.createRequest({ roles: ['dba'], reason: `warm ${i}` })).id);
    await waitFor(() => deliveredCount(warm) === warm.size, 60_000, 'warm-up');

    // Baselines on the same Redis and receiver.
    const bare = await bareBullmqPerSecond(redis.socket);
    const sample = await alice.createRequest({ roles: ['dba'], reason: 'sample card' });
    const direct = await directPostsPerSecond(
      receiver.urlFor('direct'),
      JSON.stringify({ event: 'request.posted', delivery: 'x', card: cardFromRequest(sample) }),
    );

    // Burst.
    const burstIds = new Set<string>();
    let next = 0;
    const burstStart = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < BURST) {
          next++;
          burstIds.add((await alice.createRequest({ roles: ['dba'], reason: `burst ${next}` })).id);
        }
      }),
    );
    const createdIn = (Date.now() - burstStart) / 1000;
    await waitFor(() => deliveredCount(burstIds) === BURST, 180_000, 'burst delivered');
    const burstLat = latencyOf(burstIds);
    const lastAt = Math.max(
      ...receiver
        .deliveries()
        .filter((d) => burstIds.has(d.requestId))
        .map((d) => d.at),
    );
    const burstPerSecond = BURST / ((lastAt - burstStart) / 1000);

    // Steady offered load.
    const steadyIds = new Set<string>();
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
    await waitFor(() => deliveredCount(steadyIds) === total, 120_000, 'steady delivered');
    const steadyLat = latencyOf(steadyIds);
    await hosts.pop()!.kill('SIGTERM');

    // Drain: everything pending when a fresh host starts (its reconcile finds them all), so the
    // host's own capacity shows, not the API's create rate.
    const pendingBeforeDrain = (await alice.listRequests({ state: 'PENDING' })).length;
    hosts.push(await spawnHostProcess(spec('drain')));
    const atDrain = () =>
      receiver.deliveries().filter((d) => d.path === '/drain' && d.event === 'request.posted').length;
    await waitFor(() => atDrain() >= pendingBeforeDrain, 180_000, 'drain');
    // From the first to the last arrival: the host's start-up (tsx compiling TypeScript) is not delivery work.
    const drainTimes = receiver
      .deliveries()
      .filter((d) => d.path === '/drain')
      .map((d) => d.at);
    const drainPerSecond =
      (drainTimes.length - 1) / ((Math.max(...drainTimes) - Math.min(...drainTimes)) / 1000);
    await hosts.pop()!.kill('SIGTERM');

    // 10,000 pending requests.
    const memSpec = spec();
    let memHost = await spawnHostProcess(memSpec);
    hosts.push(memHost);
    await sleep(1000);
    const idle = memoryOf(memHost.pid);
    const pendingIds = new Set<string>();
    next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < PENDING) {
          next++;
          pendingIds.add((await alice.createRequest({ roles: ['dba'], reason: `pending ${next}` })).id);
        }
      }),
    );
    await waitFor(() => deliveredCount(pendingIds) === PENDING, 300_000, 'pending delivered');
    const afterDelivery = memoryOf(memHost.pid);
    const pendingTotal = (await alice.listRequests({ state: 'PENDING' })).length;
    await hosts.pop()!.kill('SIGTERM');
    memHost = await spawnHostProcess(memSpec);
    hosts.push(memHost);
    await waitFor(async () => (await fetch(`${memHost.url}/readyz`)).status === 200, 120_000, 'reconciled');
    await sleep(2000);
    const afterRestart = memoryOf(memHost.pid);

    return [
      {
        title: `Plugin host: burst of ${BURST.toLocaleString('en')} requests through the webhook plugin (host in its own process, concurrency ${CONCURRENCY})`,
        rows: [
          {
            name: 'deliveries per second',
            value: round(burstPerSecond),
            unit: '/s',
            baseline: { name: 'bare BullMQ no-op jobs', value: round(bare), unit: '/s' },
          },
          {
            name: 'deliveries per second',
            value: round(burstPerSecond),
            unit: '/s',
            baseline: {
              name: 'direct HTTP posts to the receiver',
              value: round(direct.perSecond),
              unit: '/s',
            },
          },
          {
            name: `drain: ${pendingBeforeDrain} pending at host start, deliveries per second`,
            value: round(drainPerSecond),
            unit: '/s',
            baseline: { name: 'bare BullMQ no-op jobs', value: round(bare), unit: '/s' },
          },
          {
            name: 'create→delivered p50',
            value: round(pct(burstLat, 50)),
            unit: 'ms',
            baseline: { name: 'direct post p50', value: round(direct.p50), unit: 'ms' },
          },
          {
            name: 'create→delivered p99',
            value: round(pct(burstLat, 99)),
            unit: 'ms',
            baseline: { name: 'direct post p99', value: round(direct.p99), unit: 'ms' },
          },
        ],
        notes: [
          `the API created the burst in ${round(createdIn)} s (${round(BURST / createdIn)} creates/s) in this process; latency counts from the request's creation time to its arrival at the receiver`,
          `machine: ${cpus().length} cores, load average ${loadavg()
            .map((l) => l.toFixed(2))
            .join(' ')}`,
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
        title: `Plugin host: resident memory with ${PENDING.toLocaleString('en')} pending requests`,
        rows: [
          {
            name: 'RSS after delivering all',
            value: afterDelivery.rssMb,
            unit: 'MB',
            baseline: { name: 'goal', value: 200, unit: 'MB' },
          },
          {
            name: 'RSS after delivering all',
            value: afterDelivery.rssMb,
            unit: 'MB',
            baseline: { name: 'same host idle at start', value: idle.rssMb, unit: 'MB' },
          },
          {
            name: 'peak RSS while delivering',
            value: afterDelivery.peakMb,
            unit: 'MB',
            baseline: { name: 'goal', value: 200, unit: 'MB' },
          },
          {
            name: 'RSS after restart + reconcile',
            value: afterRestart.rssMb,
            unit: 'MB',
            baseline: { name: 'goal', value: 200, unit: 'MB' },
          },
          {
            name: 'peak RSS during reconcile',
            value: afterRestart.peakMb,
            unit: 'MB',
            baseline: { name: 'goal', value: 200, unit: 'MB' },
          },
        ],
        notes: [
          `${pendingTotal} requests were pending in the API at the end (the earlier phases' requests stay pending too)`,
          'the host runs under tsx (TypeScript compiled at start), which accounts for part of the idle figure',
        ],
      },
    ];
  } finally {
    for (const h of hosts) await h.kill('SIGTERM').catch(() => {});
    await receiver.stop();
    await api.stop();
    await redis.stop();
  }
}
