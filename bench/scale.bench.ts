// Scale of the store and the API (issue 23; the host's side is bench/scale-host.bench.ts):
// - a full PENDING walk (the host's reconcile) at each size, in the store and over HTTP, with
//   the cost per request beside the smallest size's: a growth factor of ~1 per 1× work is O(P);
// - the first page of GET /v1/requests at each number of stored requests, beside the smallest;
// - a burst of requests due at once: how fast the sweeper expires them and the API's p99 for
//   other calls meanwhile, beside the same calls just before the burst (and the event loop's
//   longest stall, since a batch that held the database would show there).
// Databases are filled fast through the store's own schema (migrations run by SqliteStore),
// with one transaction of bulk inserts per size step; no events are written for them.
//
// Sizes: SCALE_SIZES=10000,100000,1000000 (default), SCALE_DUE=10000, SCALE_HTTP_WALK_MAX=100000
// (HTTP walks above it are skipped: they measure JSON, not the query). For a quick check:
// SCALE_SIZES=1000,10000,100000 SCALE_DUE=2000 npm run bench -- scale (SCALE_SIZES=none: expiry only)

import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { expireIfDue } from '../src/access/index.js';
import type { AccessRequest, RequestState } from '../src/access/types.js';
import { EXPIRY_BATCH } from '../src/api/request-service.js';
import { type RunningApi, startApiServer } from '../src/api/server.js';
import { HttpAccessClient } from '../src/client/http-access-client.js';
import { apiConfigSchema } from '../src/config/schema.js';
import { createLogger } from '../src/log.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { CONTRACTOR_ROLES_YAML, seedUsers } from '../test/access/fixtures.js';
import { startTestApi } from '../test/support/api.js';
import { percentile } from './stats.js';
import type { BenchSection } from './types.js';

const sizes = (process.env.SCALE_SIZES ?? '10000,100000,1000000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0)
  .sort((a, b) => a - b);
const DUE = Number(process.env.SCALE_DUE ?? 10_000);
const HTTP_WALK_MAX = Number(process.env.SCALE_HTTP_WALK_MAX ?? 100_000);
/** The host's reconcile page size. */
const WALK_PAGE = 500;
const FIRST_PAGE_CALLS = 20;
/** Each walk runs this many times; the fastest counts. */
const WALK_RUNS = 3;
/** Non-pending requests stored beside the pending ones, per pending one (so the filter matters). */
const OTHERS_PER_PENDING = 0.1;

const round = (n: number, digits = 2) => Number(n.toFixed(digits));
const fmtN = (n: number) => n.toLocaleString('en-US');

function template(): AccessRequest {
  return {
    id: '',
    user: 'alice',
    roles: ['dba'],
    resources: [],
    reason: 'bench: scale',
    suggestedReviewers: [],
    annotations: {},
    thresholds: [{ approve: 1, deny: 1 }],
    roleThresholds: { dba: [0] },
    state: 'PENDING',
    reviews: [],
    created: new Date().toISOString(),
    requestExpires: '2099-01-01T00:00:00.000Z',
    accessExpires: '2099-01-01T08:00:00.000Z',
    approvedRoles: [],
    version: 1,
  };
}

/** Appends `count` requests in one transaction on its own connection; `make(i)` shapes each. */
function bulkInsert(path: string, count: number, make: (i: number) => Partial<AccessRequest>): number {
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 30000');
    const insert = db.prepare(
      'INSERT INTO requests (id, user, state, version, request_expires, doc) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const base = template();
    const start = performance.now();
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const r = { ...base, ...make(i), id: randomUUID() };
        insert.run(r.id, r.user, r.state, r.version, r.requestExpires, JSON.stringify(r));
      }
    }).immediate();
    const ms = performance.now() - start;
    // Into the database file, so the walks read it as a long-running database would, not
    // through a WAL the size of the fill.
    db.pragma('wal_checkpoint(TRUNCATE)');
    return ms;
  } finally {
    db.close();
  }
}

/** Walks every PENDING request page by page, as the host's reconcile does; ms and the slowest page. */
async function storeWalk(store: SqliteStore): Promise<{ ms: number; count: number; slowestPageMs: number }> {
  // Warm-up (statement compile, JIT): three pages, not counted.
  for (let i = 0, at = 0; i < 3; i++) {
    const page = await store.listRequestsPage({ state: 'PENDING', after: at, limit: WALK_PAGE });
    at = page.at(-1)?.position ?? at;
  }
  let after = 0;
  let count = 0;
  let slowestPageMs = 0;
  const start = performance.now();
  for (;;) {
    const t0 = performance.now();
    const page = await store.listRequestsPage({ state: 'PENDING', after, limit: WALK_PAGE });
    slowestPageMs = Math.max(slowestPageMs, performance.now() - t0);
    if (page.length === 0) break;
    count += page.length;
    after = (page.at(-1) as { position: number }).position;
  }
  return { ms: performance.now() - start, count, slowestPageMs };
}

async function bestOf<T extends { ms: number }>(runs: number, run: () => Promise<T>): Promise<T> {
  let best: T | undefined;
  for (let i = 0; i < runs; i++) {
    const r = await run();
    if (!best || r.ms < best.ms) best = r;
  }
  return best as T;
}

async function httpWalk(client: HttpAccessClient): Promise<{ ms: number; count: number }> {
  for (let i = 0; i < 3; i++)
    await client.listRequestsPage({ state: 'PENDING', limit: WALK_PAGE }).catch(() => undefined);
  let after: string | undefined;
  let count = 0;
  const start = performance.now();
  do {
    const page = await client.listRequestsPage({
      state: 'PENDING',
      limit: WALK_PAGE,
      ...(after ? { after } : {}),
    });
    count += page.requests.length;
    after = page.next;
  } while (after);
  return { ms: performance.now() - start, count };
}

async function firstPageMs(client: HttpAccessClient, query: { state?: RequestState; user?: string }) {
  // Warm-ups, not counted; after a long fill the client's idle keep-alive socket may have been
  // closed by the server, so a warm-up that finds it reset is simply retried.
  for (let i = 0; i < 3; i++) await client.listRequestsPage(query).catch(() => undefined);
  const times: number[] = [];
  for (let i = 0; i < FIRST_PAGE_CALLS; i++) {
    const t0 = performance.now();
    const page = await client.listRequestsPage(query);
    times.push(performance.now() - t0);
    if (page.requests.length === 0) throw new Error('bench: an empty first page');
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

interface SizeFigures {
  pending: number;
  stored: number;
  fillMs: number;
  store: { ms: number; slowestPageMs: number };
  http?: { ms: number };
  firstPage: { p50: number; p99: number };
  firstPendingPage: { p50: number; p99: number };
  userFirstPage: { p50: number; p99: number };
  dbBytes: number;
}

async function walksAndFirstPages(): Promise<BenchSection[]> {
  const dir = mkdtempSync(join(tmpdir(), 'accessbot-bench-scale-'));
  const path = join(dir, 'accessbot.db');
  let api: RunningApi | undefined;
  try {
    const config = apiConfigSchema.parse({ listen: '127.0.0.1:0', store: { path }, data_dir: dir });
    api = await startApiServer({ config, log: createLogger({ level: 'silent' }) });
    const admin = new HttpAccessClient({
      baseUrl: api.url,
      token: readFileSync(api.adminTokenFile, 'utf8').trim(),
      timeoutMs: 600_000,
    });
    // The walk reads through a store of its own on the same file, as a second replica would.
    const reader = new SqliteStore({ path });
    const figures: SizeFigures[] = [];
    let pending = 0;
    let others = 0;
    try {
      for (const size of sizes) {
        const addPending = size - pending;
        const addOthers = Math.round(size * OTHERS_PER_PENDING) - others;
        // Interleaved: one APPROVED every 1/OTHERS_PER_PENDING pending, 1,000 requesters.
        const total = addPending + addOthers;
        const every = Math.max(1, Math.round(total / Math.max(1, addOthers)));
        let madeOthers = 0;
        const fillMs = bulkInsert(path, total, (i) => {
          const other = madeOthers < addOthers && i % every === every - 1;
          if (other) madeOthers++;
          return { user: `user${i % 1000}`, state: other ? 'APPROVED' : 'PENDING' };
        });
        pending = size;
        others += addOthers;
        // Best of WALK_RUNS: the machine is shared, and a walk's cost is what it costs unhindered.
        const store = await bestOf(WALK_RUNS, () => storeWalk(reader));
        if (store.count !== size) throw new Error(`bench: walked ${store.count} of ${size} pending`);
        const http = size <= HTTP_WALK_MAX ? await bestOf(WALK_RUNS, () => httpWalk(admin)) : undefined;
        if (http && http.count !== size) throw new Error(`bench: HTTP walk saw ${http.count} of ${size}`);
        figures.push({
          pending: size,
          stored: size + others,
          fillMs,
          store,
          ...(http ? { http } : {}),
          firstPage: await firstPageMs(admin, {}),
          firstPendingPage: await firstPageMs(admin, { state: 'PENDING' }),
          userFirstPage: await firstPageMs(admin, { user: 'user7' }),
          dbBytes: statSync(path).size,
        });
      }
    } finally {
      await reader.close();
    }
    return report(figures);
  } finally {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(figures: SizeFigures[]): BenchSection[] {
  const base = figures[0] as SizeFigures;
  const perK = (ms: number, n: number) => (ms / n) * 1000;
  const walk: BenchSection = {
    title: 'Scale: full PENDING walk (the reconcile), 500 per page, cost per 1,000 pending',
    rows: [],
    notes: [
      'ratio = cost per request at this size ÷ at the smallest size: the growth factor per 1× work (≤ 1.2 is O(P)).',
      `Each walk is the best of ${WALK_RUNS} runs (a shared machine); "slowest page" is that run's slowest.`,
      `Each size adds ${OTHERS_PER_PENDING * 100}% non-pending requests interleaved, so the filter matters; filled by ${figures
        .map((f) => `${fmtN(f.pending)} in ${round(f.fillMs / 1000, 1)} s`)
        .join(
          ', ',
        )} (one transaction each; database ${figures.map((f) => `${round(f.dbBytes / 2 ** 20, 0)} MiB`).join(' / ')}).`,
      `HTTP walks above ${fmtN(HTTP_WALK_MAX)} pending are skipped (SCALE_HTTP_WALK_MAX).`,
    ],
  };
  for (const f of figures) {
    walk.rows.push({
      name: `store walk, ${fmtN(f.pending)} pending (total ${round(f.store.ms / 1000, 2)} s, slowest page ${round(f.store.slowestPageMs)} ms)`,
      value: round(perK(f.store.ms, f.pending)),
      unit: 'ms/1k',
      baseline: {
        name: `${fmtN(base.pending)} pending`,
        value: round(perK(base.store.ms, base.pending)),
        unit: 'ms/1k',
      },
    });
  }
  const httpBase = base.http;
  for (const f of figures) {
    if (!f.http || !httpBase) continue;
    walk.rows.push({
      name: `HTTP walk, ${fmtN(f.pending)} pending (total ${round(f.http.ms / 1000, 2)} s)`,
      value: round(perK(f.http.ms, f.pending)),
      unit: 'ms/1k',
      baseline: {
        name: `${fmtN(base.pending)} pending`,
        value: round(perK(httpBase.ms, base.pending)),
        unit: 'ms/1k',
      },
    });
  }
  const first: BenchSection = {
    title: 'Scale: first page of GET /v1/requests (500, as admin) by stored requests',
    rows: [],
    notes: [
      `p99 of ${FIRST_PAGE_CALLS} calls after 3 warm-ups; ratio = this size ÷ the smallest (flat is O(1) in stored requests).`,
    ],
  };
  for (const [label, pick] of [
    ['no filter', (f: SizeFigures) => f.firstPage],
    ['state=PENDING', (f: SizeFigures) => f.firstPendingPage],
    ['user=user7', (f: SizeFigures) => f.userFirstPage],
  ] as const) {
    for (const f of figures) {
      first.rows.push({
        name: `${label}, ${fmtN(f.stored)} stored (p50 ${round(pick(f).p50)} ms)`,
        value: round(pick(f).p99),
        unit: 'ms p99',
        baseline: { name: `${fmtN(base.stored)} stored`, value: round(pick(base).p99), unit: 'ms p99' },
      });
    }
  }
  return [walk, first];
}

/**
 * One expiry batch as the sweeper runs it (read the due, expire them in the model, one
 * conditional-update transaction), alone in a store: how long each holds the database.
 */
async function expiryBatches(): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'accessbot-bench-expiry-'));
  const path = join(dir, 'accessbot.db');
  const store = new SqliteStore({ path });
  try {
    bulkInsert(path, DUE, () => ({ requestExpires: '2026-01-01T00:00:00.000Z' }));
    const now = new Date();
    const writeMs: number[] = [];
    const batchMs: number[] = [];
    let expired = 0;
    const start = performance.now();
    for (;;) {
      const t0 = performance.now();
      const due = await store.listDueRequests(now, EXPIRY_BATCH);
      if (due.length === 0) break;
      const updates = due.flatMap((r) => {
        const next = expireIfDue(r, now);
        return next ? [{ request: next, expectedVersion: r.version }] : [];
      });
      const t1 = performance.now();
      expired += (await store.updateRequestsIfUnchanged(updates)).length;
      writeMs.push(performance.now() - t1);
      batchMs.push(performance.now() - t0);
    }
    const seconds = (performance.now() - start) / 1000;
    return {
      title: `Scale: expiry batches of ${EXPIRY_BATCH} alone in the store (${fmtN(DUE)} due)`,
      rows: [
        {
          name: `write transaction per batch, p99 (p50 ${round(percentile(writeMs, 50))} ms, max ${round(Math.max(...writeMs))} ms)`,
          value: round(percentile(writeMs, 99)),
          unit: 'ms',
          baseline: {
            name: 'whole batch (read + model + write) p99',
            value: round(percentile(batchMs, 99)),
            unit: 'ms',
          },
        },
        {
          name: 'expirations per second, nothing else running',
          value: Math.round(expired / seconds),
          unit: '/s',
          baseline: { name: 'target', value: 2000, unit: '/s' },
        },
      ],
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Other API calls, `concurrency` at a time, each latency tagged with when it started. */
function loadGenerator(calls: (() => Promise<unknown>)[], concurrency: number) {
  const samples: { at: number; ms: number }[] = [];
  let running = true;
  let i = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (running) {
      const call = calls[i++ % calls.length] as () => Promise<unknown>;
      const at = performance.now();
      await call();
      samples.push({ at, ms: performance.now() - at });
    }
  });
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

async function expiryBurst(): Promise<BenchSection> {
  const t = await startTestApi({ rolesYaml: CONTRACTOR_ROLES_YAML, users: [seedUsers.alice, seedUsers.bob] });
  try {
    const path = join(t.dataDir, 'accessbot.db');
    const alice = await t.clientFor('alice');
    // As many not-yet-due pending requests beside them, so the due range is a part of the table.
    bulkInsert(path, DUE, () => ({ requestExpires: '2099-01-01T00:00:00.000Z' }));
    // Due together, past the sweeper's next wake-up (its interval is 5 s): it learns of them
    // when it next sleeps, and wakes for the moment they fall due.
    const dueAt = Date.now() + 7_000;
    const fillMs = bulkInsert(path, DUE, () => ({ requestExpires: new Date(dueAt).toISOString() }));
    const counter = new Database(path, { readonly: true });
    const expiredCount = counter.prepare<[], { n: number }>(
      "SELECT count(*) AS n FROM requests WHERE state = 'EXPIRED'",
    );
    const someIds = counter
      .prepare<[], { id: string }>('SELECT id FROM requests ORDER BY rowid DESC LIMIT 100')
      .all()
      .map((r) => r.id);
    let n = 0;
    const load = loadGenerator(
      [
        () => alice.createRequest({ roles: ['dba'], reason: 'other work' }),
        () => t.adminClient.getRequest(someIds[n++ % someIds.length] as string),
        () => t.adminClient.listRequestsPage({ state: 'PENDING', limit: 50 }),
        () => alice.listRequestsPage({ limit: 50 }),
      ],
      4,
    );
    const loop = monitorEventLoopDelay({ resolution: 1 });
    // Baseline: the same calls for 3 s before the burst (after 1 s of warm-up).
    await sleep(Math.max(0, dueAt - Date.now() - 4_000));
    const baseStart = performance.now();
    loop.enable();
    await sleep(Math.max(0, dueAt - Date.now() - 500));
    loop.disable();
    const baseEnd = performance.now();
    const baseLoopMaxMs = loop.max / 1e6;
    loop.reset();
    await sleep(Math.max(0, dueAt - Date.now()));
    const burstStart = performance.now();
    loop.enable();
    const deadline = Date.now() + 120_000;
    while (expiredCount.get()?.n !== DUE) {
      if (Date.now() > deadline) throw new Error('bench: the due requests were not all expired in 120 s');
      await sleep(5);
    }
    const burstEnd = performance.now();
    loop.disable();
    await load.stop();
    counter.close();
    const within = (a: number, b: number) =>
      load.samples.filter((s) => s.at >= a && s.at < b).map((s) => s.ms);
    const base = within(baseStart, baseEnd);
    const burst = within(burstStart, burstEnd);
    const seconds = (burstEnd - burstStart) / 1000;
    return {
      title: `Scale: ${fmtN(DUE)} requests due at once (beside ${fmtN(DUE)} not due), API under other calls`,
      rows: [
        {
          name: `all ${fmtN(DUE)} expired, from their due time`,
          value: round(seconds, 2),
          unit: 's',
          baseline: { name: 'target', value: 5, unit: 's' },
        },
        {
          name: 'expirations per second',
          value: Math.round(DUE / seconds),
          unit: '/s',
          baseline: { name: 'target', value: 2000, unit: '/s' },
        },
        {
          name: `other calls' p99 during the burst (${burst.length} calls, max ${round(Math.max(...burst))} ms)`,
          value: round(percentile(burst, 99)),
          unit: 'ms',
          baseline: {
            name: `before it (${base.length} calls)`,
            value: round(percentile(base, 99)),
            unit: 'ms',
          },
        },
        {
          name: 'event loop: longest stall during the burst',
          value: round(loop.max / 1e6),
          unit: 'ms',
          baseline: { name: 'before it', value: round(baseLoopMaxMs), unit: 'ms' },
        },
      ],
      notes: [
        `Other calls: 4 at a time, rotating create / get one of the due requests / PENDING page of 50 (admin) / a page of 50 (alice); target p99 ≤ 20 ms.`,
        `Due requests inserted in ${round(fillMs)} ms (one transaction); the sweeper expires ${EXPIRY_BATCH} per transaction and yields between them.`,
      ],
    };
  } finally {
    await t.stop();
  }
}

export default async function scaleBench(): Promise<BenchSection[]> {
  // SCALE_SIZES=none runs the expiry parts only.
  const sections = sizes.length > 0 ? await walksAndFirstPages() : [];
  sections.push(await expiryBatches());
  sections.push(await expiryBurst());
  return sections;
}
