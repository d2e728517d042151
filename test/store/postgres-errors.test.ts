// PostgreSQL failures become the stable codes a client and an operator act on, chosen by
// SQLSTATE and error type (never message text); a statement the server refused as wrong stays loud.

import pg from 'pg';
import { expect, it } from 'vitest';
import { AccessbotError } from '../../src/errors.js';
import { postgresFailure } from '../../src/store/postgres-errors.js';

function dbError(code: string): pg.DatabaseError {
  const err = new pg.DatabaseError('server said no', 0, 'error');
  err.code = code;
  return err;
}

it('maps outages, refused logins and a full disk to typed errors, never echoing the server message', () => {
  for (const code of ['57P01', '57P03', '08006', '53300', '57014', '25006', '40P01']) {
    const e = postgresFailure(dbError(code));
    expect([code, e.code]).toEqual([code, 'STORE_UNAVAILABLE']);
    expect(e.message).not.toContain('server said no');
  }
  for (const code of ['28P01', '3D000']) {
    const e = postgresFailure(dbError(code));
    expect(e.code).toBe('STORE_UNAVAILABLE');
    expect(e.message).toContain('api.store.url');
  }
  expect(postgresFailure(dbError('53100')).code).toBe('STORAGE_FULL');
});

it('treats connection-level failures as unavailable, and keeps our own bugs and bad SQL loud', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  expect(postgresFailure(refused).code).toBe('STORE_UNAVAILABLE');
  expect(postgresFailure(new Error('Connection terminated unexpectedly')).code).toBe('STORE_UNAVAILABLE');
  const typed = new AccessbotError('CONFLICT', 'x');
  expect(postgresFailure(typed)).toBe(typed);
  expect(() => postgresFailure(dbError('42P01'))).toThrow('server said no');
  expect(() => postgresFailure(new TypeError('bug'))).toThrow('bug');
});
