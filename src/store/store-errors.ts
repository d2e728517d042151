// SQLite failures that are faults of the machine rather than bugs: a full disk, a file that is
// read-only, locked or gone. They become typed errors (507 / 503) naming the database file, so
// a client and an operator see what happened instead of INTERNAL.

import { AccessbotError } from '../errors.js';

/** SQLite result codes (extended codes keep the primary one as their prefix). */
const FULL = ['SQLITE_FULL'];
const UNAVAILABLE = [
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_BUSY',
  'SQLITE_PERM',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT',
];

function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** The typed error for a failed store operation; anything unrecognised is rethrown as it was. */
export function storeFailure(err: unknown, path: string): AccessbotError {
  if (err instanceof AccessbotError) return err;
  const code = sqliteCode(err);
  if (code && FULL.some((c) => code.startsWith(c))) {
    return new AccessbotError(
      'STORAGE_FULL',
      `the disk holding the database ${path} is full (${code}); free some space`,
      { path, cause: code },
    );
  }
  if (code && UNAVAILABLE.some((c) => code.startsWith(c))) {
    return new AccessbotError(
      'STORE_UNAVAILABLE',
      `the database ${path} cannot be used (${code}: ${(err as Error).message})`,
      { path, cause: code },
    );
  }
  throw err;
}
