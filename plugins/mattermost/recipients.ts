// Recipients from the host's routing: a channel as `team/channel` (names, as in the channel's
// URL) or by its 26-character id, and a person by email or `@username`, reached through the
// direct channel between the bot and them. Names are turned into ids here, once (the host
// caches resolved targets), so the same channel named two ways is one target.

import { permanent, type Target } from '../../src/plugin-sdk/index.js';
import { type MattermostClient, mattermostCall, statusOf } from './client.js';

export const MATTERMOST_ID = /^[a-z0-9]{26}$/;
const TEAM_CHANNEL = /^([a-z0-9][a-z0-9_-]{0,63})\/([a-z0-9][a-z0-9_-]{0,63})$/;
const USERNAME = /^@([a-z0-9][a-z0-9._-]{0,63})$/;
const EMAIL = /^[^\s@<>/]+@[^\s@<>/]+\.[^\s@<>/]+$/;

async function lookup<T>(what: string, missing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await mattermostCall(what, call);
  } catch (err) {
    if (statusOf(err) === 404) throw permanent(missing, err);
    throw err;
  }
}

export async function resolveRecipient(
  client: MattermostClient,
  raw: string,
  audience: Target['audience'],
): Promise<Target> {
  const value = raw.trim();
  const teamChannel = TEAM_CHANNEL.exec(value.toLowerCase());
  if (teamChannel) {
    const [, team, channel] = teamChannel;
    const found = await lookup('getChannelByNameAndTeamName', `Mattermost has no channel ${value}`, () =>
      client.getChannelByNameAndTeamName(team!, channel!),
    );
    return { id: found.id, kind: 'channel', audience, data: { name: value } };
  }
  if (MATTERMOST_ID.test(value)) return { id: value, kind: 'channel', audience };
  const username = USERNAME.exec(value.toLowerCase());
  if (username) {
    const user = await lookup('getUserByUsername', `Mattermost has no user ${value}`, () =>
      client.getUserByUsername(username[1]!),
    );
    return { id: user.id, kind: 'user', audience, data: { username: user.username } };
  }
  if (EMAIL.test(value)) {
    const user = await lookup('getUserByEmail', `Mattermost has no user with email ${value}`, () =>
      client.getUserByEmail(value),
    );
    return { id: user.id, kind: 'user', audience, data: { email: value } };
  }
  throw permanent(
    `not a Mattermost recipient: ${JSON.stringify(raw)} (use team/channel, a channel id, @username or an email)`,
  );
}
