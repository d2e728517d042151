// For plugins that serve a sign-in page: who holds an API bearer token, asked of the API as that
// holder (whoami), and the pending requests the API shows them, other than their own. The API
// alone says whether a token is good; the host keeps nothing of it.

import type { AccessRequest } from '../../access/types.js';
import { AccessbotError } from '../../errors.js';
import { type Card, MAX_REVIEWABLE_LISTED, type TokenHolder } from '../../plugin-sdk/index.js';
import type { AccessSource, AccessSourceAsHolder } from '../source/access-source.js';

/** What the API answers for a token it does not accept. */
const REFUSED_TOKEN = new Set(['UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN']);

export async function tokenHolderOf(
  client: AccessSource,
  token: string,
  cardOf: (request: AccessRequest) => Promise<Card>,
): Promise<TokenHolder | null> {
  if (!client.withToken) return null;
  let asHolder: AccessSourceAsHolder;
  try {
    asHolder = client.withToken(token);
  } catch (err) {
    if (err instanceof AccessbotError && REFUSED_TOKEN.has(err.code)) return null;
    throw err;
  }
  try {
    const me = await asHolder.whoami();
    const page = await asHolder.listRequestsPage({ state: 'PENDING', limit: MAX_REVIEWABLE_LISTED });
    const others = page.requests.filter((request) => request.user !== me.user.name);
    return {
      person: {
        name: me.user.name,
        ...(me.user.email ? { email: me.user.email } : {}),
        traits: me.user.traits ?? {},
      },
      reviewable: await Promise.all(others.map(cardOf)),
    };
  } catch (err) {
    if (err instanceof AccessbotError && REFUSED_TOKEN.has(err.code)) return null;
    throw err;
  }
}
