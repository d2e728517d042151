// Rows as both SQL backends (SQLite, PostgreSQL) read and write them, and their mapping to the
// store's records: the tables have the same columns in both, so a row means the same in each.

import { openRequestOverflow } from '../access/limits.js';
import type { AccessRequest, RequestEvent } from '../access/types.js';
import { AccessbotError } from '../errors.js';
import type { TokenRecord } from './types.js';

/**
 * A new request's JSON, refused when it leaves no room for reviews and a resolution. Updates
 * are not checked here: reviews are checked by the service (only they add without bound), and a
 * resolution or an expiry adds at most RESOLUTION_ROOM_BYTES. So an event is never past
 * MAX_REQUEST_BYTES, and a request stored before these limits can still be expired or resolved.
 */
export function newRequestJson(request: AccessRequest): string {
  const json = JSON.stringify(request);
  const overflow = openRequestOverflow(json);
  if (overflow) {
    throw new AccessbotError(
      'REQUEST_TOO_LARGE',
      `request ${request.id} would be ${overflow.bytes} bytes stored; the limit is ${overflow.limit} bytes (name fewer resources or shorten the reason)`,
      overflow,
    );
  }
  return json;
}

/** A request's column values in table order: id, user, state, version, request_expires, doc. */
export function requestRowValues(
  request: AccessRequest,
  json: string,
): [string, string, AccessRequest['state'], number, string, string] {
  return [request.id, request.user, request.state, request.version, request.requestExpires, json];
}

/** A row of the event log; `request` is the request's JSON as it was at that event. */
export interface EventRow {
  seq: number;
  type: 'put' | 'delete';
  request: string;
  at: string;
}

export interface TokenRow {
  hash: string;
  user: string;
  created: string;
  expires: string | null;
  description: string | null;
}

export function eventFromRow(r: EventRow): RequestEvent {
  return { seq: r.seq, type: r.type, request: JSON.parse(r.request) as AccessRequest, at: r.at };
}

/** Optional fields stored as NULL come back absent, as they were put. */
export function tokenFromRow(row: TokenRow): TokenRecord {
  return {
    hash: row.hash,
    user: row.user,
    created: row.created,
    ...(row.expires ? { expires: row.expires } : {}),
    ...(row.description ? { description: row.description } : {}),
  };
}

/** A token's column values in table order: hash, user, created, expires, description. */
export function tokenRowValues(token: TokenRecord): [string, string, string, string | null, string | null] {
  return [token.hash, token.user, token.created, token.expires ?? null, token.description ?? null];
}
