// Access API: request creates per second over HTTP beside the raw store insert rate
// (same schema, same one-transaction-per-change), and watch latency from commit to
// the SSE event arriving at an HttpAccessClient, beside the in-process notifier.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AccessRequest } from '../src/access/types.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { CONTRACTOR_ROLES_YAML, seedUsers } from '../test/access/fixtures.js';
import { startTestApi, type TestApi } from '../test/support/api.js';
import { percentile, perSecond } from './stats.js';
import type { BenchSection } from './types.js';

const CREATES = 2_000;
const CONCURRENCY = 16;
const WATCH_EVENTS = 600;

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

async function httpCreatesPerSecond(): Promise<{
  perSecond: number;
  p99Ms: number;
  template: AccessRequest;
  replay: { events: number; perSecond: number; storePerSecond: number };
}> {
  const t = await startTestApi({ rolesYaml: CONTRACTOR_ROLES_YAML, users: [seedUsers.alice] });
  try {
    const alice = await t.clientFor('alice');
    for (let i = 0; i < 50; i++) await alice.createRequest({ roles: ['dba'], reason: `warm-up ${i}` });
    const template = await alice.createRequest({ roles: ['dba'], reason: 'template' });
    const latencies: number[] = [];
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CREATES) {
          const i = next++;
          const t0 = performance.now();
          await alice.createRequest({ roles: ['dba'], reason: `bench ${i}` });
          latencies.push(performance.now() - t0);
        }
      }),
    );
    return {
      perSecond: perSecond(CREATES, start),
      p99Ms: percentile(latencies, 99),
      template,
      replay: await replayRate(t),
    };
  } finally {
    await t.stop();
  }
}

/** A watcher that was down: how fast it catches up on the whole log over SSE. */
async function replayRate(
  t: TestApi,
): Promise<{ events: number; perSecond: number; storePerSecond: number }> {
  const latest = await t.adminClient.latestSeq();
  let start = performance.now();
  for (let seq = 0; ; ) {
    const batch = await t.api.store.eventsSince(seq, 500);
    if (batch.length === 0) break;
    seq = batch.at(-1)?.seq ?? seq;
  }
  const storePerSecond = perSecond(latest, start);
  const abort = new AbortController();
  let caughtUp: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    caughtUp = resolve;
  });
  start = performance.now();
  const watching = t.adminClient.watch({
    since: 0,
    signal: abort.signal,
    onEvent: (e) => {
      if (e.seq >= latest) caughtUp();
    },
  });
  await done;
  const replayPerSecond = perSecond(latest, start);
  abort.abort();
  await watching;
  return { events: latest, perSecond: replayPerSecond, storePerSecond };
}

async function storeInsertsPerSecond(template: AccessRequest): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'accessbot-bench-'));
  const store = new SqliteStore({ path: join(dir, 'raw.db') });
  try {
    const start = performance.now();
    for (let i = 0; i < CREATES; i++)
      await store.createRequest({ ...template, id: randomUUID(), reason: `raw ${i}` });
    return perSecond(CREATES, start);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function watchLatency(template: AccessRequest): Promise<{ sse: number[]; notifier: number[] }> {
  const t = await startTestApi();
  const committedAt = new Map<number, number>();
  const receivedAt = new Map<number, number>();
  const notifier: number[] = [];
  let callStart = 0;
  let wake: (() => void) | undefined;
  // Subscribed before the watch connects, so it runs before the stream writes the event.
  t.api.store.onCommit((e) => {
    const now = performance.now();
    committedAt.set(e.seq, now);
    notifier.push(now - callStart);
  });
  const abort = new AbortController();
  const watching = t.adminClient.watch({
    since: await t.adminClient.latestSeq(),
    signal: abort.signal,
    onEvent: (e) => {
      receivedAt.set(e.seq, performance.now());
      wake?.();
    },
  });
  const sse: number[] = [];
  try {
    // Ping-pong: each change waits for its event, so this is latency, not queueing.
    for (let i = 0; i < WATCH_EVENTS + 20; i++) {
      callStart = performance.now();
      const { seq } = await t.api.store.createRequest({ ...template, id: randomUUID() });
      const deadline = Date.now() + 5_000;
      while (!receivedAt.has(seq) && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
      const got = receivedAt.get(seq);
      const committed = committedAt.get(seq);
      if (got === undefined || committed === undefined) throw new Error(`event ${seq} never arrived`);
      if (i >= 20) sse.push(got - committed); // the first events warm up the connection and JIT
    }
  } finally {
    abort.abort();
    await watching;
    await t.stop();
  }
  return { sse, notifier: notifier.slice(20) };
}

/** Server capacity without fetch's own cost: node:http with a keep-alive agent. */
async function leanHttpCreates(): Promise<{ perSecond: number; cpuMsPerCreate: number }> {
  const t = await startTestApi({ rolesYaml: CONTRACTOR_ROLES_YAML, users: [seedUsers.alice] });
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const { token } = await t.adminClient.issueToken('alice');
    const post = (i: number) =>
      new Promise<void>((resolve, reject) => {
        const body = JSON.stringify({ roles: ['dba'], reason: `lean ${i}` });
        const req = request(
          {
            host: '127.0.0.1',
            port: t.api.port,
            path: '/v1/requests',
            method: 'POST',
            agent,
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () =>
              res.statusCode === 201 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    for (let i = 0; i < 50; i++) await post(i);
    let next = 0;
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CREATES) await post(next++);
      }),
    );
    const cpu = process.cpuUsage(cpuStart);
    return {
      perSecond: perSecond(CREATES, start),
      // CPU time does not stretch when other processes take the cores, unlike wall time.
      cpuMsPerCreate: (cpu.user + cpu.system) / 1000 / CREATES,
    };
  } finally {
    agent.destroy();
    await t.stop();
  }
}

export default async function run(): Promise<BenchSection> {
  const http = await httpCreatesPerSecond();
  const raw = await storeInsertsPerSecond(http.template);
  const lean = await leanHttpCreates();
  const watch = await watchLatency(http.template);
  return {
    title: 'Access API (SQLite, fastify, SSE watch)',
    rows: [
      {
        name: `request creates over HTTP (${CREATES}, concurrency ${CONCURRENCY}, keep-alive)`,
        value: Math.round(http.perSecond),
        unit: 'creates/s',
        baseline: {
          name: 'SqliteStore.createRequest, same schema',
          value: Math.round(raw),
          unit: 'inserts/s',
        },
      },
      { name: 'create latency p99 under that load', value: round(http.p99Ms), unit: 'ms' },
      {
        name: 'request creates over HTTP, node:http keep-alive client (same load)',
        value: Math.round(lean.perSecond),
        unit: 'creates/s',
        baseline: {
          name: 'SqliteStore.createRequest, same schema',
          value: Math.round(raw),
          unit: 'inserts/s',
        },
      },
      {
        name: 'CPU time per HTTP create (server + node:http client, one process)',
        value: round(lean.cpuMsPerCreate, 3),
        unit: 'ms',
      },
      {
        name: 'creates/s one core could sustain at that CPU cost (load-independent)',
        value: Math.round(1000 / lean.cpuMsPerCreate),
        unit: 'creates/s',
      },
      {
        name: `watch replay of the whole log from seq 0 (${http.replay.events} events)`,
        value: Math.round(http.replay.perSecond),
        unit: 'events/s',
        baseline: {
          name: 'store.eventsSince in batches of 500, in process',
          value: Math.round(http.replay.storePerSecond),
          unit: 'events/s',
        },
      },
      {
        name: `watch commit → SSE event at HttpAccessClient, p50 (${watch.sse.length} events)`,
        value: round(percentile(watch.sse, 50), 3),
        unit: 'ms',
        baseline: {
          name: 'store call → in-process notifier, p50',
          value: round(percentile(watch.notifier, 50), 3),
          unit: 'ms',
        },
      },
      {
        name: 'watch commit → SSE event, p99',
        value: round(percentile(watch.sse, 99), 3),
        unit: 'ms',
        baseline: {
          name: 'store call → in-process notifier, p99',
          value: round(percentile(watch.notifier, 99), 3),
          unit: 'ms',
        },
      },
    ],
    notes: [
      `${cpus().length} CPU(s), load average ${loadavg()[0]?.toFixed(1)} at the end; API, client and store share one process, so HTTP figures include the client's own cost (fetch/undici costs more per call than node:http).`,
      'Each HTTP create runs the real model (roles read from SQLite, policy checks) and writes the request + its event in one transaction.',
      'Goals: ≥1,000 creates/s over HTTP; watch p99 ≤ 20 ms.',
    ],
  };
}
