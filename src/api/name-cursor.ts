// The paging cursor of the lists ordered by name (users, roles): opaque to clients
// (base64url), the last name of the previous page inside, tagged with its list so a users
// cursor is refused by the roles list. Anything else is INVALID_CURSOR, never a silent restart.

import { AccessbotError } from '../errors.js';

export type NamedList = 'users' | 'roles';

const TAGS: Record<NamedList, string> = { users: 'u:', roles: 'r:' };
/** Names are at most 253 characters (schemas.ts); a cursor never carries more. */
const MAX_NAME_CHARS = 253;

export function encodeNameCursor(list: NamedList, name: string): string {
  return Buffer.from(`${TAGS[list]}${name}`, 'utf8').toString('base64url');
}

export function decodeNameCursor(list: NamedList, cursor: string): string {
  const invalid = () =>
    new AccessbotError('INVALID_CURSOR', `the paging cursor is not one this API issued for ${list}`);
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw invalid();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const tag = TAGS[list];
  const name = text.slice(tag.length);
  if (!text.startsWith(tag) || name.length === 0 || name.length > MAX_NAME_CHARS) throw invalid();
  // Re-encoding must give back the same text, so two spellings never name one position.
  if (encodeNameCursor(list, name) !== cursor) throw invalid();
  return name;
}
