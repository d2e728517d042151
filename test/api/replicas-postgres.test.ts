// Two API replicas on one PostgreSQL database: writers on both at once, and /v1/watch on each
// replica sees every committed event exactly once, in seq order, with no gap, whichever replica
// wrote it; a watcher that reconnects to the other replica with Last-Event-ID resumes exactly.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RequestEvent } from '../../src/access/types.js';
import { startApiServer } from '../../src/api/server.js';
import type { HttpAccessClient } from '../../src/client/http-access-client.js';
import { apiConfigSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { ALL_SEED_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createSharedTestDatabase } from '../support/postgres.js';
import { waitFor } from './helpers.js';

let db: Awaited<ReturnType<typeof createSharedTestDatabase>>;
let one: TestApi;
let two: TestApi;

beforeAll(async () => {
  db = await createSharedTestDatabase();
  one = await startTestApi({
    store: { postgresUrl: db.url },
    rolesYaml: ALL_SEED_ROLES_YAML,
    users: [seedUsers.alice],
  });
  const token = readFileSync(one.api.adminTokenFile, 'utf8').trim();
  two = await startTestApi({ store: { postgresUrl: db.url }, adminToken: token });
});

afterAll(async () => {
  await one?.stop();
  await two?.stop();
  await db?.drop();
});

function follow(client: HttpAccessClient, since = 0) {
  const events: RequestEvent[] = [];
  const abort = new AbortController();
  const done = client.watch({ since, signal: abort.signal, onEvent: (e) => void events.push(e) });
  return {
    events,
    stop: async () => {
      abort.abort();
      await done.catch(() => undefined);
    },
  };
}

it('every replica’s watch sees every event of concurrent writers on both, once, in order', {
  timeout: 120_000,
}, async () => {
  const start = await one.adminClient.latestSeq();
  const watchers = [
    follow(one.adminClient, start),
    follow(two.adminClient, start),
    follow(two.adminClient, start),
  ];
  const writers = [await one.clientFor('alice'), await two.clientFor('alice')];
  const n = 120;
  let next = 0;
  const lane = async (l: number) => {
    while (next < n) {
      next++;
      await writers[(l + next) % 2]!.createRequest({ roles: ['dba'], reason: `burst ${next}` });
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, l) => lane(l)));
  const end = await two.adminClient.latestSeq();
  expect(end - start).toBe(n);
  await waitFor(
    () => (watchers.every((w) => w.events.length >= n) ? true : undefined),
    'every watcher',
    30_000,
  );
  await new Promise((r) => setTimeout(r, 300));
  const want = Array.from({ length: n }, (_, i) => start + i + 1);
  for (const w of watchers) {
    expect(w.events.map((e) => e.seq)).toEqual(want);
    await w.stop();
  }

  // Resume on the other replica from the middle: exactly the rest.
  const resumed = follow(one.adminClient, start + n / 2);
  await waitFor(() => (resumed.events.length >= n / 2 ? true : undefined), 'resumed watcher');
  expect(resumed.events.map((e) => e.seq)).toEqual(want.slice(n / 2));
  await resumed.stop();
});

it('a change through one replica is read back at once through the other', async () => {
  const alice = await one.clientFor('alice');
  const created = await alice.createRequest({ roles: ['dba'], reason: 'read-your-write elsewhere' });
  const seen = await two.adminClient.getRequest(created.id);
  expect(seen.reason).toBe('read-your-write elsewhere');
});

it('replicas starting together on an empty database migrate once and create one admin', async () => {
  const fresh = await createSharedTestDatabase();
  const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), 'accessbot-replica-')));
  try {
    const apis = await Promise.all(
      dirs.map((dir) =>
        startApiServer({
          config: apiConfigSchema.parse({
            listen: '127.0.0.1:0',
            store: { driver: 'postgres', url: fresh.url, pool_size: 2 },
            data_dir: dir,
          }),
          log: createLogger({ level: 'silent' }),
        }),
      ),
    );
    const written = apis.filter((a) => existsSync(a.adminTokenFile));
    expect(written).toHaveLength(1);
    expect((await apis[0]!.store.listUsers()).map((u) => u.name)).toEqual(['admin']);
    for (const a of apis) await a.close();
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await fresh.drop();
  }
});

it('the expiry sweeper runs on one replica at a time and moves to another when its holder goes', async () => {
  const fresh = await createSharedTestDatabase();
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  const x = await startTestApi({
    store: { postgresUrl: fresh.url },
    rolesYaml: ALL_SEED_ROLES_YAML,
    users: [seedUsers.alice],
    now,
    expiryInterval: '100ms',
  });
  const token = readFileSync(x.api.adminTokenFile, 'utf8').trim();
  const y = await startTestApi({
    store: { postgresUrl: fresh.url },
    adminToken: token,
    now,
    expiryInterval: '100ms',
  });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const holds = [
      await x.api.store.holdsSingleton('expiry-sweeper'),
      await y.api.store.holdsSingleton('expiry-sweeper'),
    ];
    expect(holds.filter(Boolean)).toHaveLength(1);
    const [holder, survivor] = holds[0] ? [x, y] : [y, x];
    await holder.stop();
    // Reads expire nothing: only a sweeper can expire this request, and only the survivor runs.
    const alice = await survivor.clientFor('alice');
    const req = await alice.createRequest({ roles: ['dba'], requestTtl: '1h' });
    offsetMs = 2 * 3_600_000;
    await waitFor(
      async () => ((await survivor.api.store.getRequest(req.id))?.state === 'EXPIRED' ? true : undefined),
      'the survivor to expire the request',
    );
  } finally {
    await x.stop().catch(() => undefined);
    await y.stop().catch(() => undefined);
    await fresh.drop();
  }
});
