// PostgreSQL-only faults of the connections a replica holds beside its pool: the LISTEN
// connection and the singleton-lock connection are cut by the server (as a failover or an
// idle-connection killer would); the replica still hears every commit once, in order, and a lost
// singleton is taken by another replica.

import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { createSharedTestDatabase } from '../support/postgres.js';
import { eventually, request } from './conformance/fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const db = await createSharedTestDatabase();
  cleanups.push(() => db.drop());
  const open = async () => {
    const store = await PostgresStore.open({
      config: { url: db.url, pool_size: 3, statement_timeout: 10_000, connect_timeout: 5000 },
    });
    cleanups.push(() => store.close());
    return store;
  };
  /** Terminates this database's connections of one kind (by application_name); resolves with how many. */
  const cut = async (applicationName: string) => {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
        [applicationName],
      );
      return rowCount ?? 0;
    } finally {
      await admin.end();
    }
  };
  return { open, cut };
}

it('a replica whose LISTEN connection was cut still hears every commit, once, in order', async () => {
  const { open, cut } = await setup();
  const writer = await open();
  const follower = await open();
  const heard: number[] = [];
  follower.onCommit((e) => heard.push(e.seq));
  await writer.createRequest(request('before'));
  await eventually(() => heard.length === 1, 'the first event');
  expect(await cut('accessbot-api-listen')).toBe(2);
  // Written while the follower is reconnecting: it catches up from the log.
  for (let i = 0; i < 20; i++) await writer.createRequest(request(`during-${i}`));
  await eventually(() => heard.length >= 21, 'every event after the cut');
  await new Promise((r) => setTimeout(r, 300));
  expect(heard).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
});

it('a singleton whose lock connection was cut is taken by the next replica that asks', async () => {
  const { open, cut } = await setup();
  const a = await open();
  const b = await open();
  expect(await a.holdsSingleton('event-pruner')).toBe(true);
  expect(await b.holdsSingleton('event-pruner')).toBe(false);
  expect(await cut('accessbot-api-singleton')).toBe(2);
  // Whoever asks first after the cut gets it; the other does not.
  await new Promise((r) => setTimeout(r, 100));
  expect(await b.holdsSingleton('event-pruner')).toBe(true);
  expect(await a.holdsSingleton('event-pruner')).toBe(false);
});
