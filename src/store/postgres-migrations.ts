// PostgreSQL schema migrations, applied at start in one transaction under an advisory lock:
// replicas that start together take turns, the first applies the steps and the others find
// them done. Append new steps; never edit a step that has shipped.

import type pg from 'pg';
import { AccessbotError } from '../errors.js';
import { LOCK_KEYS, LOCK_NAMESPACE } from './postgres-pool.js';

const STEPS: string[] = [
  `
  CREATE TABLE users (
    name text PRIMARY KEY,
    email_lc text,
    doc text NOT NULL
  );
  CREATE INDEX users_email ON users (email_lc);

  CREATE TABLE roles (
    name text PRIMARY KEY,
    doc text NOT NULL
  );

  CREATE TABLE tokens (
    hash text PRIMARY KEY,
    "user" text NOT NULL,
    created text NOT NULL,
    expires text,
    description text
  );
  CREATE INDEX tokens_user ON tokens ("user");

  -- position: the seq of the request's create event, so store order is commit order and paging
  -- by it never skips a request that committed late.
  CREATE TABLE requests (
    id text PRIMARY KEY,
    position bigint NOT NULL UNIQUE,
    "user" text NOT NULL,
    state text NOT NULL,
    version integer NOT NULL,
    request_expires text NOT NULL,
    doc text NOT NULL
  );
  CREATE INDEX requests_state_expires ON requests (state, request_expires);
  CREATE INDEX requests_state_position ON requests (state, position);
  CREATE INDEX requests_user_position ON requests ("user", position);
  CREATE INDEX requests_user_state_position ON requests ("user", state, position);

  CREATE TABLE events (
    seq bigint PRIMARY KEY,
    request_id text NOT NULL,
    type text NOT NULL CHECK (type IN ('put', 'delete')),
    request text NOT NULL,
    at text NOT NULL
  );
  CREATE INDEX events_at ON events (at);

  -- The event counter: one row, updated by every change in the same transaction as its event.
  -- Its row lock orders writers, so seq is gapless and in commit order (see postgres-store.ts),
  -- and it keeps the high-water mark when pruning empties the log.
  CREATE TABLE event_head (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq bigint NOT NULL
  );
  INSERT INTO event_head (id, seq) VALUES (true, 0);

  -- Readiness writes (and removes) one row here to learn whether the database takes writes again.
  CREATE TABLE write_probe (
    id integer PRIMARY KEY,
    data bytea NOT NULL
  );
  `,
];

export const POSTGRES_SCHEMA_VERSION = STEPS.length;

/** Brings the schema up to date; safe to call from several replicas at once. */
export async function migratePostgres(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCK_KEYS.migrate]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS accessbot_schema (id boolean PRIMARY KEY DEFAULT true CHECK (id), version integer NOT NULL)',
    );
    await client.query('INSERT INTO accessbot_schema (id, version) VALUES (true, 0) ON CONFLICT DO NOTHING');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM accessbot_schema');
    const current = rows[0]?.version ?? 0;
    if (current > STEPS.length) {
      throw new AccessbotError(
        'CONFIG_INVALID',
        `api.store: the database schema is version ${current}, newer than this accessbot knows (${STEPS.length}); upgrade accessbot`,
        { current, known: STEPS.length },
      );
    }
    for (let step = current; step < STEPS.length; step++) await client.query(STEPS[step] as string);
    if (current < STEPS.length) {
      await client.query('UPDATE accessbot_schema SET version = $1', [STEPS.length]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
