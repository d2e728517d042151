// The paging cursor of GET /v1/requests: opaque to clients (base64url), a store position
// inside. Anything that does not decode to one is INVALID_CURSOR, never a silent restart.

import { AccessbotError } from '../errors.js';

const PREFIX = 'p:';

export function encodeRequestCursor(position: number): string {
  return Buffer.from(`${PREFIX}${position}`, 'utf8').toString('base64url');
}

export function decodeRequestCursor(cursor: string): number {
  const invalid = () => new AccessbotError('INVALID_CURSOR', 'the paging cursor is not one this API issued');
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(cursor)) throw invalid();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^p:(\d{1,15})$/.exec(text);
  // Re-encoding must give back the same text, so two spellings never name one position.
  if (!match || encodeRequestCursor(Number(match[1])) !== cursor) throw invalid();
  return Number(match[1]);
}
