// Bearer-token authentication: `Authorization: Bearer abt_…`. The token is hashed and
// looked up; the raw value never leaves this function (and is redacted from logs).

import type { User } from '../access/types.js';
import { AccessbotError } from '../errors.js';
import type { Store, TokenRecord } from '../store/types.js';
import { hashToken } from './tokens.js';

export async function authenticate(
  store: Store,
  authorization: string | undefined,
  now: Date,
): Promise<User> {
  return (await authenticateToken(store, authorization, now)).user;
}

/** The caller and the token record they presented (a watch stream needs its expiry). */
export async function authenticateToken(
  store: Store,
  authorization: string | undefined,
  now: Date,
): Promise<{ user: User; token: TokenRecord }> {
  if (!authorization) {
    throw new AccessbotError('UNAUTHENTICATED', 'missing Authorization: Bearer <token> header');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1])
    throw new AccessbotError('UNAUTHENTICATED', 'Authorization header must be "Bearer <token>"');
  const record = await store.findToken(hashToken(match[1]));
  if (!record) throw new AccessbotError('INVALID_TOKEN', 'the token is not valid');
  if (record.expires && Date.parse(record.expires) <= now.getTime()) {
    throw new AccessbotError('INVALID_TOKEN', 'the token has expired');
  }
  const user = await store.getUser(record.user);
  if (!user) throw new AccessbotError('INVALID_TOKEN', 'the token belongs to a user that no longer exists');
  return { user, token: record };
}
