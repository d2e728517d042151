// Opens the store `api.store` names: SQLite (the default, one API process) or PostgreSQL
// (several API replicas over one database).

import type { Logger } from 'pino';
import type { StoreConfig } from '../config/schema.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';

export async function openStore(config: StoreConfig, opts: { now: () => Date; log: Logger }): Promise<Store> {
  if (config.driver === 'postgres') return PostgresStore.open({ config, now: opts.now, log: opts.log });
  return new SqliteStore({ path: config.path, now: opts.now });
}

/** What the log may say about where the store is: never the PostgreSQL URL (it can hold a password). */
export function describeStore(config: StoreConfig): Record<string, unknown> {
  if (config.driver === 'sqlite') return { driver: 'sqlite', db: config.path };
  let where: Record<string, unknown> = {};
  try {
    const url = new URL(config.url);
    where = {
      host: url.hostname || url.searchParams.get('host') || 'localhost',
      database: url.pathname.slice(1),
    };
  } catch {
    // An unparsable URL fails at connect with its own error; the log names only the driver.
  }
  return { driver: 'postgres', ...where, pool_size: config.pool_size };
}
