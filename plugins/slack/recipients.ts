// Recipients from the host's routing: a channel by ID (`C…`, `G…`), a channel by name
// (`#ops` or `ops`), a Slack user ID (`U…`, `W…`), or a person's email, which Slack turns
// into a user ID (`users.lookupByEmail`). People get the message in their DM with the app.

import type { WebClient } from '@slack/web-api';
import { permanent, type Target } from '../../src/plugin-sdk/index.js';
import { platformErrorCode, slackCall } from './client.js';

const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const CHANNEL_NAME = /^#?[a-z0-9][a-z0-9._-]{0,79}$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

export async function resolveRecipient(
  client: WebClient,
  raw: string,
  audience: Target['audience'],
): Promise<Target> {
  const value = raw.trim();
  if (CHANNEL_ID.test(value)) return { id: value, kind: 'channel', audience };
  if (USER_ID.test(value)) return { id: value, kind: 'user', audience };
  if (EMAIL.test(value)) {
    try {
      const res = await slackCall('users.lookupByEmail', () => client.users.lookupByEmail({ email: value }));
      const id = res.user?.id;
      if (!id) throw permanent(`Slack has no user with email ${value}`);
      return { id, kind: 'user', audience, data: { email: value } };
    } catch (err) {
      if (platformErrorCode((err as Error).cause) === 'users_not_found') {
        throw permanent(`Slack has no user with email ${value}`, err);
      }
      throw err;
    }
  }
  // Slack accepts a channel name in chat.postMessage and answers with the ID, which the ref keeps.
  if (CHANNEL_NAME.test(value)) return { id: `#${value.replace(/^#/, '')}`, kind: 'channel', audience };
  throw permanent(
    `not a Slack recipient: ${JSON.stringify(raw)} (use #channel, a channel ID, a user ID or an email)`,
  );
}
