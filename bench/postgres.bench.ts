// The access API on PostgreSQL, every figure beside a baseline measured in the same run:
//   1. creates/s over HTTP with the API on PostgreSQL, beside the same API on SQLite, and beside
//      a bare `INSERT` of the same rows through `pg` (same pool size and concurrency); and the
//      store's own createRequest in-process beside that bare INSERT: what the event log, the
//      counter row and NOTIFY cost over a plain insert, apart from HTTP and the API's reads.
//   2. watch latency across replicas: a create committed through replica A's store until the SSE
//      event arrives from replica B (LISTEN/NOTIFY wake-up, then a read from the log), beside the
//      same on one SQLite API (in-process notifier). Goal: p99 ≤ 50 ms.
//   3. host deliveries/s (webhook plugin, two targets per request, a host process on a private
//      Redis) with the API on PostgreSQL, beside the API on SQLite.
// PostgreSQL is a private cluster (initdb in a temp folder, unix socket, fsync off like the
// tests; SQLite runs WAL with synchronous=NORMAL, which does not fsync each commit either).
// Sizes: ACCESSBOT_BENCH_PG_CREATES (default 2,000), ACCESSBOT_BENCH_PG_WATCH (default 500).

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { AccessRequest } from '../src/access/types.js';
import { ensureServiceToken } from '../src/api/server.js';
import type { HttpAccessClient } from '../src/client/http-access-client.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { HOST_ROLES, HOST_USERS } from '../test/host/fixtures.js';
import { startTestApi, type TestApi, type TestApiOptions } from '../test/support/api.js';
import { startTestPostgres, type TestPostgres } from '../test/support/postgres.js';
import { startReceiver } from '../test/support/receiver.js';
import { startTestRedis } from '../test/support/redis.js';
import { spawnHostProcess, waitFor } from '../test/support/stack.js';
import { percentile, perSecond } from './stats.js';
import type { BenchSection } from './types.js';

const CREATES = Number(process.env.ACCESSBOT_BENCH_PG_CREATES ?? 2_000);
const WATCH_EVENTS = Number(process.env.ACCESSBOT_BENCH_PG_WATCH ?? 500);
const CONCURRENCY = 16;
const POOL_SIZE = 10;
const SECRET = 'bench-secret-0123456789abcdef';
const round = (n: number, digits = 1) => Number(n.toFixed(digits));

type StoreChoice = NonNullable<TestApiOptions['store']>;

async function withApi<T>(
  store: StoreChoice,
  opts: Omit<TestApiOptions, 'store'>,
  run: (t: TestApi) => Promise<T>,
): Promise<T> {
  const t = await startTestApi({ ...opts, store });
  try {
    return await run(t);
  } finally {
    await t.stop();
  }
}

async function createBurst(client: HttpAccessClient, n: number, label: string): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await client.createRequest({ roles: ['dba'], reason: `${label} ${next++}` });
    }),
  );
  return perSecond(n, start);
}

/** Creates/s over HTTP; also returns the stored documents (for the bare-insert baseline). */
async function httpCreates(store: StoreChoice): Promise<{ perSecond: number; docs: AccessRequest[] }> {
  return withApi(store, { rolesYaml: HOST_ROLES, users: HOST_USERS }, async (t) => {
    const alice = await t.clientFor('alice');
    for (let i = 0; i < 30; i++) await alice.createRequest({ roles: ['dba'], reason: `warm-up ${i}` });
    const rate = await createBurst(alice, CREATES, 'bench');
    const page = await t.api.store.listRequestsPage({ after: 0, limit: CREATES + 30 });
    return { perSecond: rate, docs: page.map((p) => p.request) };
  });
}

/** The same rows through `pg`, one INSERT each, no event, no counter, no NOTIFY. */
async function bareInserts(url: string, docs: AccessRequest[]): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  try {
    await pool.query(
      'CREATE TABLE bare_requests (id text PRIMARY KEY, "user" text NOT NULL, state text NOT NULL, version integer NOT NULL, request_expires text NOT NULL, doc text NOT NULL)',
    );
    const rows = docs.slice(-CREATES).map((r) => ({ ...r, id: randomUUID() }));
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < rows.length) {
          const r = rows[next++]!;
          await pool.query(
            'INSERT INTO bare_requests (id, "user", state, version, request_expires, doc) VALUES ($1, $2, $3, $4, $5, $6)',
            [r.id, r.user, r.state, r.version, r.requestExpires, JSON.stringify(r)],
          );
        }
      }),
    );
    return perSecond(rows.length, start);
  } finally {
    await pool.end();
  }
}

/** The same rows through PostgresStore.createRequest in-process: the store's own cost, no HTTP or auth reads. */
async function storeCreates(url: string, docs: AccessRequest[]): Promise<number> {
  const store = await PostgresStore.open({
    config: { url, pool_size: POOL_SIZE, statement_timeout: 30_000, connect_timeout: 5000 },
  });
  try {
    const rows = docs.slice(-CREATES).map((r) => ({ ...r, id: randomUUID() }));
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < rows.length) await store.createRequest(rows[next++]!);
      }),
    );
    return perSecond(rows.length, start);
  } finally {
    await store.close();
  }
}

/** Ping-pong: commit through `writer`'s store, wait for the event on `reader`'s watch. */
async function watchLatencies(writer: TestApi, reader: TestApi): Promise<number[]> {
  const template = (await writer.api.store.listRequestsPage({ after: 0, limit: 1 }))[0]?.request;
  if (!template) throw new Error('bench: no template request');
  const receivedAt = new Map<number, number>();
  let wake: (() => void) | undefined;
  const abort = new AbortController();
  const watching = reader.adminClient.watch({
    since: await reader.adminClient.latestSeq(),
    signal: abort.signal,
    onEvent: (e) => {
      receivedAt.set(e.seq, performance.now());
      wake?.();
    },
  });
  const out: number[] = [];
  try {
    for (let i = 0; i < WATCH_EVENTS + 20; i++) {
      const { seq } = await writer.api.store.createRequest({ ...template, id: randomUUID() });
      const committed = performance.now();
      const deadline = Date.now() + 5_000;
      while (!receivedAt.has(seq) && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
      const got = receivedAt.get(seq);
      if (got === undefined) throw new Error(`bench: event ${seq} never arrived`);
      // The first events warm up the connection and the JIT. An event can land before the
      // write's promise resolves on this side: that counts as 0.
      if (i >= 20) out.push(Math.max(0, got - committed));
    }
  } finally {
    abort.abort();
    await watching;
  }
  return out;
}

/** Requests created over HTTP while a host process runs: deliveries/s from first create to last arrival. */
async function hostDeliveries(store: StoreChoice, redisSocket: string): Promise<number> {
  const receiver = await startReceiver({ secret: SECRET });
  try {
    return await withApi(store, { rolesYaml: HOST_ROLES, users: HOST_USERS }, async (t) => {
      const token = await ensureServiceToken(t.api.store, 'accessbot-host', ['accessbot-plugin']);
      const targets = ['/a', '/b'].map((p) => receiver.urlFor(p));
      const host = await spawnHostProcess({
        apiUrl: t.api.url,
        apiToken: token,
        redisSocket,
        prefix: `b${randomUUID().slice(0, 8)}`,
        plugins: { webhook: { secret: SECRET } },
        routing: [{ roles: ['dba'], targets: { webhook: targets } }],
        delivery: { concurrency: CONCURRENCY },
      });
      try {
        const alice = await t.clientFor('alice');
        const start = performance.now();
        await createBurst(alice, CREATES, 'host');
        const want = CREATES * targets.length;
        await waitFor(
          () => receiver.deliveries().filter((d) => d.event === 'request.posted').length >= want,
          300_000,
          `${want} deliveries`,
        );
        return perSecond(want, start);
      } finally {
        await host.kill('SIGTERM');
      }
    });
  } finally {
    await receiver.stop();
  }
}

export default async function bench(): Promise<BenchSection[]> {
  let server: TestPostgres | undefined;
  const redis = await startTestRedis();
  try {
    server = await startTestPostgres();
    const pgServer = server;
    const database = async () => ({ postgresUrl: (await pgServer.createDatabase()).url });

    const onPostgres = await httpCreates(await database());
    const onSqlite = await httpCreates('sqlite');
    const bare = await bareInserts((await database()).postgresUrl, onPostgres.docs);
    const direct = await storeCreates((await database()).postgresUrl, onPostgres.docs);

    // Two replicas on one database; writes go through A's store, the watch reads from B.
    const shared = await database();
    const latencies = await withApi(shared, { rolesYaml: HOST_ROLES, users: HOST_USERS }, async (a) => {
      await (await a.clientFor('alice')).createRequest({ roles: ['dba'], reason: 'template' });
      const token = readFileSync(a.api.adminTokenFile, 'utf8').trim();
      return withApi(shared, { adminToken: token }, (b) => watchLatencies(a, b));
    });
    const sqliteLatencies = await withApi(
      'sqlite',
      { rolesYaml: HOST_ROLES, users: HOST_USERS },
      async (t) => {
        await (await t.clientFor('alice')).createRequest({ roles: ['dba'], reason: 'template' });
        return watchLatencies(t, t);
      },
    );

    const hostOnPostgres = await hostDeliveries(await database(), redis.socket);
    const hostOnSqlite = await hostDeliveries('sqlite', redis.socket);

    return [
      {
        title: `PostgreSQL store: creates over HTTP (${CREATES} creates, ${CONCURRENCY} at a time, pool ${POOL_SIZE})`,
        rows: [
          {
            name: 'creates/s, API on PostgreSQL',
            value: round(onPostgres.perSecond),
            unit: '/s',
            baseline: { name: 'API on SQLite', value: round(onSqlite.perSecond), unit: '/s' },
          },
          {
            name: 'creates/s, API on PostgreSQL',
            value: round(onPostgres.perSecond),
            unit: '/s',
            baseline: { name: 'bare INSERT of the same rows through pg', value: round(bare), unit: '/s' },
          },
          {
            name: 'PostgresStore.createRequest in-process (row + counter + event + NOTIFY)',
            value: round(direct),
            unit: '/s',
            baseline: { name: 'bare INSERT of the same rows through pg', value: round(bare), unit: '/s' },
          },
        ],
        notes: [
          'PostgreSQL: private cluster on a unix socket, fsync off (as in the tests).',
          'An HTTP create also reads the token, the user, the roles and the reviewers: each a round trip on PostgreSQL, an in-process call on SQLite.',
        ],
      },
      {
        title: `PostgreSQL store: watch latency across replicas (${WATCH_EVENTS} events, ping-pong)`,
        rows: [
          {
            name: 'commit on replica A → SSE event from replica B, p50',
            value: round(percentile(latencies, 50), 2),
            unit: 'ms',
            baseline: {
              name: 'one SQLite API, commit → SSE, p50',
              value: round(percentile(sqliteLatencies, 50), 2),
              unit: 'ms',
            },
          },
          {
            name: 'commit on replica A → SSE event from replica B, p99 (goal ≤ 50 ms)',
            value: round(percentile(latencies, 99), 2),
            unit: 'ms',
            baseline: {
              name: 'one SQLite API, commit → SSE, p99',
              value: round(percentile(sqliteLatencies, 99), 2),
              unit: 'ms',
            },
          },
        ],
      },
      {
        title: `PostgreSQL store: host deliveries (${CREATES} requests × 2 webhook targets, created live)`,
        rows: [
          {
            name: 'deliveries/s, API on PostgreSQL',
            value: round(hostOnPostgres),
            unit: '/s',
            baseline: { name: 'API on SQLite', value: round(hostOnSqlite), unit: '/s' },
          },
        ],
      },
    ];
  } finally {
    await server?.stop();
    await redis.stop();
  }
}
