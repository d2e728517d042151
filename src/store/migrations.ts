// Schema migrations, applied in order and recorded in SQLite's user_version pragma.
// Append new steps; never edit a step that has shipped.

import type { Database } from 'better-sqlite3';

const STEPS: string[] = [
  `
  CREATE TABLE users (
    name TEXT PRIMARY KEY,
    email_lc TEXT,
    doc TEXT NOT NULL
  );
  CREATE INDEX users_email ON users(email_lc);

  CREATE TABLE roles (
    name TEXT PRIMARY KEY,
    doc TEXT NOT NULL
  );

  CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    created TEXT NOT NULL,
    expires TEXT,
    description TEXT
  );
  CREATE INDEX tokens_user ON tokens(user);

  CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    request_expires TEXT NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX requests_state_expires ON requests(state, request_expires);
  CREATE INDEX requests_user ON requests(user);

  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('put', 'delete')),
    request TEXT NOT NULL,
    at TEXT NOT NULL
  );
  `,
  `
  -- Readiness writes (and removes) one row here to learn whether the disk has room again.
  CREATE TABLE write_probe (
    id INTEGER PRIMARY KEY,
    data BLOB NOT NULL
  );
  `,
  `
  -- Walks page by position (rowid): an index whose columns are the filter, rowid implied after
  -- them, makes each page one range read (state = ? AND rowid > ?) with no sort. The old
  -- (state, request_expires) index keeps serving the expiry sweeper's due query.
  CREATE INDEX requests_state ON requests(state);
  CREATE INDEX requests_user_state ON requests(user, state);
  -- The pruner finds old events by time.
  CREATE INDEX events_at ON events(at);
  `,
];

export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let step = current; step < STEPS.length; step++) {
    db.transaction(() => {
      db.exec(STEPS[step] as string);
      db.pragma(`user_version = ${step + 1}`);
    })();
  }
}

export const SCHEMA_VERSION = STEPS.length;
