// A person by email against the fake Mattermost server with the real Client4: the access user's
// mapping trait is asked first whatever `user_mapping.by` says, the Mattermost email is the
// fallback, and a failure that may pass is never turned into "unreachable".

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PersonInfo } from '../../src/plugin-sdk/index.js';
import { PluginError } from '../../src/plugin-sdk/index.js';
import { FakeMattermost } from '../../test/fakes/mattermost/server.js';
import { MattermostClient } from './client.js';
import { type MattermostConfig, mattermostConfigSchema } from './config.js';
import { resolveRecipient } from './recipients.js';

let fake: FakeMattermost;
let client: MattermostClient;
let aliceId: string;
let carolId: string;

beforeAll(async () => {
  fake = await new FakeMattermost().start();
  aliceId = fake.addUser('alice.smith', 'asmith@chat.example.org').id;
  carolId = fake.addUser('carol', 'carol@example.com').id;
  client = new MattermostClient(fake.url, fake.token, 5000);
});
afterAll(async () => {
  await fake?.stop();
});

const configFor = (userMapping: Record<string, string>): MattermostConfig =>
  mattermostConfigSchema.parse({
    url: fake.url,
    token: fake.token,
    interactions: 'none',
    user_mapping: userMapping,
  });

/** The host's lookupPerson over a fixed directory of access users by email. */
const directory =
  (people: Record<string, PersonInfo>) =>
  async (person: { email: string } | { trait: string; value: string }): Promise<PersonInfo | null> =>
    'email' in person ? (people[person.email] ?? null) : null;

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('resolved');
    },
    (err: unknown) => err,
  );

describe('a person by email', () => {
  it('by: email still reaches an access user through their trait when they have one', async () => {
    const people = {
      config: configFor({ by: 'email' }),
      lookupPerson: directory({
        'alice@example.com': { name: 'alice', traits: { mattermost_username: ['alice.smith'] } },
      }),
    };
    const target = await resolveRecipient(client, 'alice@example.com', 'reviewer', people);
    expect(target).toMatchObject({ id: aliceId, kind: 'user', data: { username: 'alice.smith' } });
  });

  it('the configured trait is the one read, not mattermost_username', async () => {
    const people = {
      config: configFor({ by: 'trait', trait: 'chat_login' }),
      lookupPerson: directory({
        'alice@example.com': {
          name: 'alice',
          traits: { mattermost_username: ['carol'], chat_login: ['alice.smith'] },
        },
      }),
    };
    expect((await resolveRecipient(client, 'alice@example.com', 'reviewer', people)).id).toBe(aliceId);
  });

  it('a host without lookupPerson: the Mattermost email only, and the error says the trait cannot be read', async () => {
    const people = { config: configFor({ by: 'trait' }) };
    expect((await resolveRecipient(client, 'carol@example.com', 'reviewer', people)).id).toBe(carolId);
    const err = await failureOf(resolveRecipient(client, 'alice@example.com', 'reviewer', people));
    expect(err).toBeInstanceOf(PluginError);
    expect(err).toMatchObject({ kind: 'permanent' });
    expect((err as Error).message).toContain("cannot read access users' mattermost_username traits");
  });

  it('an access API that fails, or a Mattermost 5xx on the trait username, is not "unreachable": the host retries', async () => {
    const down = new Error('access API unavailable');
    const failing = {
      config: configFor({ by: 'trait' }),
      lookupPerson: async () => {
        throw down;
      },
    };
    expect(await failureOf(resolveRecipient(client, 'alice@example.com', 'reviewer', failing))).toBe(down);

    const people = {
      config: configFor({ by: 'trait' }),
      lookupPerson: directory({
        'carol@example.com': { name: 'carol', traits: { mattermost_username: ['carol'] } },
      }),
    };
    const emailLookups = fake.callsTo('getUserByEmail').length;
    fake.failNext(1, { status: 503, ops: ['getUserByUsername'] });
    const err = await failureOf(resolveRecipient(client, 'carol@example.com', 'reviewer', people));
    expect(err).toMatchObject({ kind: 'transient' });
    // No email lookup was made to paper over it.
    expect(fake.callsTo('getUserByEmail')).toHaveLength(emailLookups);
    expect((await resolveRecipient(client, 'carol@example.com', 'reviewer', people)).id).toBe(carolId);
  });

  it('a bot that may not see emails: the trait still reaches them; without one the error says both fixes', async () => {
    fake.showEmailAddress = false;
    try {
      const people = {
        config: configFor({ by: 'email' }),
        lookupPerson: directory({
          'alice@example.com': { name: 'alice', traits: { mattermost_username: ['alice.smith'] } },
          'carol@example.com': { name: 'carol', traits: {} },
        }),
      };
      expect((await resolveRecipient(client, 'alice@example.com', 'reviewer', people)).id).toBe(aliceId);
      const err = await failureOf(resolveRecipient(client, 'carol@example.com', 'reviewer', people));
      expect(err).toMatchObject({ kind: 'permanent' });
      expect((err as Error).message).toBe(
        'Mattermost does not let the bot find carol@example.com by email (Show Email Address is off and the bot is no system admin),' +
          ' and access user carol has no mattermost_username trait (set the mattermost_username trait of carol to their' +
          ' Mattermost username (accessbot users add carol --traits mattermost_username=<username>, with their full roles' +
          ' and traits) or let the bot see emails)',
      );
    } finally {
      fake.showEmailAddress = true;
    }
  });
});
