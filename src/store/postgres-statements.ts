// The statements of the PostgreSQL store that carry its guarantees. Each request change is ONE
// statement (data-modifying CTEs): the row change, the next seq from event_head (whose row lock
// orders writers by commit), the event, and a NOTIFY delivered on commit. One round trip, one
// transaction, and the counter's lock is held only from its update to that statement's commit.

import { EVENTS_CHANNEL } from './postgres-pool.js';

const NOTIFY = `pg_notify('${EVENTS_CHANNEL}', head.seq::text)`;

export const SQL = {
  createRequest: `
    WITH head AS (UPDATE event_head SET seq = seq + 1 RETURNING seq),
    req AS (
      INSERT INTO requests (id, position, "user", state, version, request_expires, doc)
      SELECT $1, head.seq, $2, $3, $4, $5, $6 FROM head
    ),
    ev AS (INSERT INTO events (seq, request_id, type, request, at) SELECT head.seq, $1, 'put', $6, $7 FROM head)
    SELECT head.seq, ${NOTIFY} FROM head`,
  updateRequest: `
    WITH upd AS (
      UPDATE requests SET "user" = $2, state = $3, version = $4, request_expires = $5, doc = $6
      WHERE id = $1 AND version = $7 RETURNING id
    ),
    head AS (UPDATE event_head SET seq = seq + 1 WHERE EXISTS (SELECT 1 FROM upd) RETURNING seq),
    ev AS (INSERT INTO events (seq, request_id, type, request, at) SELECT head.seq, $1, 'put', $6, $8 FROM head)
    SELECT head.seq, ${NOTIFY} FROM head`,
  deleteRequest: `
    WITH del AS (DELETE FROM requests WHERE id = $1 RETURNING doc),
    head AS (UPDATE event_head SET seq = seq + 1 WHERE EXISTS (SELECT 1 FROM del) RETURNING seq),
    ev AS (
      INSERT INTO events (seq, request_id, type, request, at)
      SELECT head.seq, $1, 'delete', del.doc, $2 FROM head, del
    )
    SELECT head.seq, del.doc, ${NOTIFY} FROM head, del`,
  // The window sum stops at the row whose size crosses the byte budget (that row included), so
  // only what fits the budget crosses the wire.
  eventsAfter: `
    SELECT seq, type, request, at FROM (
      SELECT seq, type, request, at,
        sum(octet_length(request)) OVER (ORDER BY seq) - octet_length(request) AS before
      FROM (SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2) e
    ) w WHERE before < $3 ORDER BY seq`,
  putUser: `INSERT INTO users (name, email_lc, doc) VALUES ($1, $2, $3)
    ON CONFLICT (name) DO UPDATE SET email_lc = excluded.email_lc, doc = excluded.doc`,
  putToken: 'INSERT INTO tokens (hash, "user", created, expires, description) VALUES ($1, $2, $3, $4, $5)',
};
