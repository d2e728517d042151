// Connection settings for the PostgreSQL store: one place turns `api.store` into `pg` options,
// so the pool, the LISTEN connection and the singleton-lock connection all connect alike.

import pg from 'pg';
import type { PostgresStoreConfig } from '../config/schema.js';

const INT8_OID = 20;

/**
 * `bigint` columns (seq, position) come back as numbers rather than strings: they stay far below
 * 2^53, and the Store contract speaks numbers. Per client, so nothing global in `pg` changes.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export type PostgresConnectionSettings = Pick<
  PostgresStoreConfig,
  'url' | 'statement_timeout' | 'connect_timeout' | 'tls'
>;

/** Options for one connection (pg.Client) or, with `max`, a pool. */
export function clientConfig(settings: PostgresConnectionSettings, applicationName: string): pg.ClientConfig {
  const tls = settings.tls;
  return {
    connectionString: settings.url,
    application_name: applicationName,
    statement_timeout: settings.statement_timeout,
    connectionTimeoutMillis: settings.connect_timeout,
    // A replica that vanished without closing its socket is noticed by the server and by us.
    keepAlive: true,
    types,
    ...(tls
      ? {
          ssl: {
            rejectUnauthorized: tls.reject_unauthorized,
            ...(tls.ca ? { ca: tls.ca } : {}),
            ...(tls.cert ? { cert: tls.cert } : {}),
            ...(tls.key ? { key: tls.key } : {}),
            ...(tls.servername ? { servername: tls.servername } : {}),
          },
        }
      : {}),
  };
}

export function createPool(settings: PostgresConnectionSettings, poolSize: number): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(settings, 'accessbot-api'), max: poolSize });
  // An idle connection the server dropped (restart, failover) emits here; without a handler it
  // would crash the process. The pool discards it and opens a new one on the next query.
  pool.on('error', () => undefined);
  return pool;
}

/** Advisory lock keys: one namespace (the first int) so we never collide with other applications. */
export const LOCK_NAMESPACE = 0x61636362; // 'accb'
export const LOCK_KEYS = {
  migrate: 1,
  firstUser: 2,
  'expiry-sweeper': 10,
  'event-pruner': 11,
} as const;

/** The channel every commit notifies (payload: its seq) and every replica listens on. */
export const EVENTS_CHANNEL = 'accessbot_events';
