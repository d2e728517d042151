// Why `seq > cursor` is safe on PostgreSQL, shown directly: a writer whose transaction has taken
// seq N but not committed holds every later writer back, so no reader can see N+1 before N (the
// hazard of a bigserial, allocated at insert rather than at commit, is exactly that).

import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { createSharedTestDatabase } from '../support/postgres.js';
import { request } from './conformance/fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('a later write waits for an earlier uncommitted one, so readers never see seq N+1 before N', async () => {
  const db = await createSharedTestDatabase();
  cleanups.push(() => db.drop());
  const store = await PostgresStore.open({
    config: { url: db.url, pool_size: 3, statement_timeout: 10_000, connect_timeout: 5000 },
  });
  cleanups.push(() => store.close());
  await store.createRequest(request('first'));

  // A slow writer: takes seq 2 and its event, then dawdles before COMMIT.
  const slow = new pg.Client({ connectionString: db.url });
  await slow.connect();
  cleanups.push(() => slow.end());
  await slow.query('BEGIN');
  const { rows } = await slow.query<{ seq: string }>('UPDATE event_head SET seq = seq + 1 RETURNING seq');
  expect(Number(rows[0]!.seq)).toBe(2);
  await slow.query(
    "INSERT INTO events (seq, request_id, type, request, at) VALUES (2, 'slow', 'put', $1, $2)",
    [JSON.stringify(request('slow')), new Date().toISOString()],
  );

  let fastDone = false;
  const fast = store.createRequest(request('fast')).then((e) => {
    fastDone = true;
    return e;
  });
  await new Promise((r) => setTimeout(r, 300));
  // The fast writer is held back, and a reader at cursor 1 sees nothing yet (not seq 3 alone).
  expect(fastDone).toBe(false);
  expect(await store.readEvents(1, { maxEvents: 10, maxBytes: 1e9 })).toEqual([]);

  await slow.query('COMMIT');
  expect((await fast).seq).toBe(3);
  expect((await store.readEvents(1, { maxEvents: 10, maxBytes: 1e9 })).map((e) => e.seq)).toEqual([2, 3]);
});
