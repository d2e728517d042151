// The one place the CLI builds an API client, so commands only see the AccessClient interface.
import { HttpAccessClient } from '../client/http-access-client.js';
import type { AccessClient } from '../client/types.js';

export function createAccessClient(baseUrl: string, token: string): AccessClient {
  return new HttpAccessClient({ baseUrl, token });
}
