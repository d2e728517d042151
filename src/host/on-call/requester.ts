// The requester of a request as a provider needs them: email and traits (JSM Operations maps
// Atlassian account ids through a trait, since Atlassian may hide emails).

import type { AccessClient } from '../../client/types.js';
import type { OnCallRequester } from '../../plugin-sdk/index.js';

export async function requesterOf(client: AccessClient, userName: string): Promise<OnCallRequester> {
  const user = await client.getUser(userName);
  return { name: user.name, ...(user.email ? { email: user.email } : {}), traits: user.traits ?? {} };
}
