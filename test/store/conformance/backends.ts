// The backends the store conformance suite runs against. A backend hands out fresh, empty
// store locations; each location opens as many stores (connections, or replicas) as a test asks.
// A third backend joins by adding one entry here and one `<name>.test.ts` calling the suite.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/types.js';
import { createSharedTestDatabase } from '../../support/postgres.js';

export interface StoreLocation {
  /** A store on this location; several may be open at once (another connection, or replica). */
  open(opts?: { now?: () => Date }): Promise<Store>;
  /** Closes every store opened here and removes the location. */
  dispose(): Promise<void>;
}

export interface StoreBackend {
  name: string;
  /**
   * Stores opened on one location see each other's commits through onCommit (API replicas on
   * one database). False for a store that lives in one process (SQLite).
   */
  replicas: boolean;
  fresh(): Promise<StoreLocation>;
}

function tracking(open: (now?: () => Date) => Promise<Store>, cleanup: () => Promise<void>): StoreLocation {
  const stores: Store[] = [];
  return {
    async open(opts = {}) {
      const store = await open(opts.now);
      stores.push(store);
      return store;
    },
    async dispose() {
      for (const s of stores.splice(0)) await s.close();
      await cleanup();
    },
  };
}

export const sqliteBackend: StoreBackend = {
  name: 'sqlite',
  replicas: false,
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), 'accessbot-store-'));
    const path = join(dir, 'nested', 'accessbot.db');
    return tracking(
      async (now) => new SqliteStore({ path, ...(now ? { now } : {}) }),
      async () => rmSync(dir, { recursive: true, force: true }),
    );
  },
};

export const postgresBackend: StoreBackend = {
  name: 'postgres',
  replicas: true,
  async fresh() {
    const db = await createSharedTestDatabase();
    return tracking(
      (now) =>
        PostgresStore.open({
          config: { url: db.url, pool_size: 4, statement_timeout: 10_000, connect_timeout: 5000 },
          ...(now ? { now } : {}),
        }),
      () => db.drop(),
    );
  },
};
