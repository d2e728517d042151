// PostgreSQL failures that are faults of the database or the network rather than bugs: a server
// that is down, restarting, refusing connections, read-only (a standby after a failover), out of
// disk, or a statement past `statement_timeout`. They become typed errors (503 / 507), so a client
// sees STORE_UNAVAILABLE while the database is away and the API recovers once it is back.
// Classified by SQLSTATE and by error type, never by message.

import pg from 'pg';
import { AccessbotError } from '../errors.js';

/** SQLSTATE classes and codes that mean "the database cannot serve us right now". */
const UNAVAILABLE_CLASSES = ['08', '53', '57', '58'];
const UNAVAILABLE_CODES = ['25006', '40001', '40P01', '55P03'];
const DISK_FULL = '53100';
/** invalid_authorization_specification (28…), invalid_catalog_name (3D…: no such database). */
const REFUSED_LOGIN_CLASSES = ['28', '3D'];
/** Transient conflicts between concurrent transactions: the write is simply tried again. */
export const RETRYABLE_CODES = new Set(['40001', '40P01']);

export function sqlState(err: unknown): string | undefined {
  return err instanceof pg.DatabaseError ? err.code : undefined;
}

/** The typed error for a failed PostgreSQL operation; anything unrecognised is rethrown as it was. */
export function postgresFailure(err: unknown): AccessbotError {
  if (err instanceof AccessbotError) return err;
  if (err instanceof pg.DatabaseError) {
    const code = err.code ?? '';
    if (code === DISK_FULL) {
      return new AccessbotError('STORAGE_FULL', `the PostgreSQL server is out of disk space (${code})`, {
        cause: code,
      });
    }
    if (REFUSED_LOGIN_CLASSES.includes(code.slice(0, 2))) {
      // Wrong user, password or database name: the settings, not an outage (the URL stays unsaid).
      return new AccessbotError(
        'STORE_UNAVAILABLE',
        `the PostgreSQL server refused the login (${code}); check the user, password and database in api.store.url`,
        { cause: code },
      );
    }
    if (UNAVAILABLE_CLASSES.includes(code.slice(0, 2)) || UNAVAILABLE_CODES.includes(code)) {
      return new AccessbotError('STORE_UNAVAILABLE', `the PostgreSQL store cannot serve now (${code})`, {
        cause: code,
      });
    }
    // Any other SQLSTATE is a statement the server refused: a bug, not an outage.
    throw err;
  }
  // Our own mistakes stay loud.
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) throw err;
  // Everything else comes from the connection: refused, reset, closed, timed out, TLS.
  const cause = (err as { code?: unknown } | null)?.code;
  return new AccessbotError(
    'STORE_UNAVAILABLE',
    `the PostgreSQL store cannot be reached${typeof cause === 'string' ? ` (${cause})` : ''}`,
    typeof cause === 'string' ? { cause } : {},
  );
}
