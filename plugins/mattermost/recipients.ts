// Recipients from the host's routing: a channel as `team/channel` (names, as in the channel's
// URL) or by its 26-character id, and a person by email or `@username`, reached through the
// direct channel between the bot and them. Names are turned into ids here, once (the host
// caches resolved targets), so the same channel named two ways is one target.
//
// An email is usually an access user's (the router hands suggested reviewers and the requester
// over as emails), and their Mattermost account may carry another email, or hide it from the
// bot. So the access user's mapping trait (`mattermost_username` by default) is asked first;
// the Mattermost account with that email is the fallback.

import { type PersonInfo, type PluginContext, permanent, type Target } from '../../src/plugin-sdk/index.js';
import { type MattermostClient, mattermostCall, statusOf } from './client.js';
import type { MattermostConfig } from './config.js';

export const MATTERMOST_ID = /^[a-z0-9]{26}$/;
const TEAM_CHANNEL = /^([a-z0-9][a-z0-9_-]{0,63})\/([a-z0-9][a-z0-9_-]{0,63})$/;
const USERNAME = /^@([a-z0-9][a-z0-9._-]{0,63})$/;
/**
 * A Mattermost username as an access user's trait must hold it: exactly as Mattermost writes it
 * (lower case, no `@`), because a click is mapped back by looking that exact value up.
 */
const TRAIT_USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const EMAIL = /^[^\s@<>/]+@[^\s@<>/]+\.[^\s@<>/]+$/;

type Lookup = Pick<PluginContext<MattermostConfig>, 'config' | 'lookupPerson'>;

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
  people?: Lookup,
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
  if (EMAIL.test(value)) return resolvePerson(client, value, audience, people);
  throw permanent(
    `not a Mattermost recipient: ${JSON.stringify(raw)} (use team/channel, a channel id, @username or an email)`,
  );
}

/**
 * A person by email: through the username in their access user's mapping trait when it names a
 * Mattermost user, else the Mattermost account with that email. When neither reaches them the
 * error names what to set.
 */
async function resolvePerson(
  client: MattermostClient,
  email: string,
  audience: Target['audience'],
  people: Lookup | undefined,
): Promise<Target> {
  const trait = people?.config.user_mapping.trait ?? 'mattermost_username';
  const person: PersonInfo | null = people?.lookupPerson ? await people.lookupPerson({ email }) : null;
  const traitValue = person?.traits[trait]?.map((v) => v.trim()).find((v) => v !== '');
  // Why the trait did not reach them, for the error if the email does not either.
  let traitProblem: string | undefined;
  if (person && traitValue !== undefined) {
    const name = TRAIT_USERNAME.test(traitValue) ? traitValue : undefined;
    if (!name) {
      traitProblem = `the ${trait} trait of access user ${person.name} (${JSON.stringify(traitValue)}) is not a Mattermost username as Mattermost writes it (lower case, no @), which clicks are matched by`;
    } else {
      try {
        const user = await mattermostCall('getUserByUsername', () => client.getUserByUsername(name));
        return { id: user.id, kind: 'user', audience, data: { email, username: user.username } };
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
        traitProblem = `the ${trait} trait of access user ${person.name} names @${name}, whom Mattermost does not know`;
      }
    }
  }
  try {
    const user = await mattermostCall('getUserByEmail', () => client.getUserByEmail(email));
    return { id: user.id, kind: 'user', audience, data: { email, username: user.username } };
  } catch (err) {
    // 403: Mattermost hides emails from the bot (Show Email Address off, the bot no admin).
    const status = statusOf(err);
    if (status !== 404 && status !== 403) throw err;
    const byEmail =
      status === 404
        ? {
            problem: `Mattermost has no user with email ${email}`,
            fix: 'give their Mattermost account this email',
          }
        : {
            problem: `Mattermost does not let the bot find ${email} by email (Show Email Address is off and the bot is no system admin)`,
            fix: 'let the bot see emails',
          };
    if (!people?.lookupPerson) {
      throw permanent(
        `${byEmail.problem} (${byEmail.fix}; this host cannot read access users' ${trait} traits)`,
        err,
      );
    }
    throw permanent(unreachable(byEmail, trait, person, traitProblem), err);
  }
}

function unreachable(
  byEmail: { problem: string; fix: string },
  trait: string,
  person: PersonInfo | null,
  traitProblem?: string,
): string {
  if (!person) {
    return `${byEmail.problem}, and no access user has that email, so no ${trait} trait names them (add them with --traits ${trait}=<mattermost username>, or ${byEmail.fix})`;
  }
  const fix = `set the ${trait} trait of ${person.name} to their Mattermost username (accessbot users add ${person.name} --traits ${trait}=<username>, with their full roles and traits) or ${byEmail.fix}`;
  return `${byEmail.problem}, and ${traitProblem ?? `access user ${person.name} has no ${trait} trait`} (${fix})`;
}
