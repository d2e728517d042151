// End to end, people reached by their access user's `mattermost_username` trait: the real
// access API, the real host (BullMQ on the test Redis, inbound server), the mattermost plugin
// with the real Client4, and the fake Mattermost server. The people's Mattermost accounts carry
// other emails than their access users, so an email lookup alone could reach none of them.

import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mattermostPlugin from '../../plugins/mattermost/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { actionIds, click, submitDialog } from '../fakes/mattermost/interactions.js';
import { FakeMattermost, type FakePost } from '../fakes/mattermost/server.js';
import { dbaAndProdRolesYaml, usersWithEmail } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const SECRET = 'e2e-mattermost-trait-secret-0123456789';
const HOOK_HOST = 'accessbot.test';

/** Access users: email `<name>@example.com`; the trait (when any) names their Mattermost user. */
const TRAITS: Record<string, string> = {
  bob: 'bob.b', // the requester
  alice: 'alice.smith',
  frank: '@Frank.F', // not as Mattermost writes it: a click could not be matched back to him
  erin: 'nobody', // names no Mattermost user, and no Mattermost account has her email
};
const USERS = usersWithEmail({
  bob: ['requester'],
  alice: ['approver'],
  carol: ['approver'], // no trait: her Mattermost account has her access email
  dave: ['approver'], // no trait, and Mattermost knows no account with his email
  erin: ['approver'],
  frank: ['approver'],
}).map((u) => (TRAITS[u.name] ? { ...u, traits: { mattermost_username: [TRAITS[u.name]!] } } : u));

let fake: FakeMattermost;
let stack: TestStack;
let ops: string;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  fake = await new FakeMattermost().start();
  ops = fake.addChannel('acme', 'ops');
  fake.addUser('bob.b', 'bob.b@chat.example.org');
  fake.addUser('alice.smith', 'asmith@chat.example.org');
  fake.addUser('carol', 'carol@example.com');
  fake.addUser('frank.f', 'ff@chat.example.org');
  // Someone else whose username is an access user's name: must not be mistaken for dave.
  fake.addUser('dave', 'dave.other@chat.example.org');
  fake.allowedUntrustedInternalConnections = [HOOK_HOST];
  const logDestination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  stack = await startTestStack({
    rolesYaml: dbaAndProdRolesYaml(),
    users: USERS,
    definitions: new Map([['mattermost', mattermostPlugin as unknown as PluginDefinition]]),
    plugins: {
      mattermost: {
        url: fake.url,
        token: fake.token,
        action_secret: SECRET,
        callback_url: `http://${HOOK_HOST}/hooks/mattermost`,
        user_mapping: { by: 'trait' },
      },
    },
    routing: [{ roles: ['*'], targets: { mattermost: ['acme/ops'] } }],
    delivery: { backoff: '100ms', max_backoff: '2s', attempts: 30 },
    logLevel: 'warn',
    logDestination,
  });
  fake.mapHost(HOOK_HOST, stack.host.url);
});

afterAll(async () => {
  await stack?.stop();
  await fake?.stop();
});

const dmOf = (username: string) => fake.directChannelOf(fake.userByName(username).id);
const rootsOf = (channel: string, requestId: string) =>
  fake.rootPosts(channel).filter((p) => p.props.accessbot_request_id === requestId);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rootIn(channel: () => string | undefined, requestId: string): Promise<FakePost> {
  return stack.waitFor(
    () => {
      const id = channel();
      return id ? rootsOf(id, requestId)[0] : undefined;
    },
    30_000,
    `root post of ${requestId}`,
  );
}

const skipped = (recipient: string) =>
  logLines.find((l) => l.msg === 'recipient skipped' && l.recipient === recipient)?.err as string | undefined;

describe('people by the mattermost_username trait', () => {
  it('reviewers and the requester are reached through their trait, else their Mattermost email; the unreachable are named with the fix', async () => {
    const req = await (await stack.clientFor('bob')).createRequest({
      roles: ['dba'],
      reason: 'replica lag',
      suggestedReviewers: ['alice', 'carol', 'dave', 'erin', 'frank'],
    });
    await rootIn(() => ops, req.id);
    // The trait: alice.smith and bob.b, whose Mattermost emails differ from their access emails.
    const aliceDm = await rootIn(() => dmOf('alice.smith'), req.id);
    expect(actionIds(aliceDm)).toEqual(['approve', 'deny']);
    const bobDm = await rootIn(() => dmOf('bob.b'), req.id);
    expect(actionIds(bobDm)).toEqual([]);
    // No trait: carol's Mattermost account has her access email.
    const carolDm = await rootIn(() => dmOf('carol'), req.id);
    expect(actionIds(carolDm)).toEqual(['approve', 'deny']);

    // dave has neither; erin's trait names nobody; frank's is misspelt. All are left out with what to set.
    const daveError = await stack.waitFor(() => skipped('dave@example.com'), 30_000, 'dave skipped');
    expect(daveError).toBe(
      'Mattermost has no user with email dave@example.com, and access user dave has no mattermost_username trait' +
        ' (set the mattermost_username trait of dave to their Mattermost username (accessbot users add dave' +
        ' --traits mattermost_username=<username>, with their full roles and traits) or give their Mattermost' +
        ' account this email)',
    );
    const erinError = await stack.waitFor(() => skipped('erin@example.com'), 30_000, 'erin skipped');
    expect(erinError).toContain(
      'the mattermost_username trait of access user erin names @nobody, whom Mattermost does not know',
    );
    const frankError = await stack.waitFor(() => skipped('frank@example.com'), 30_000, 'frank skipped');
    expect(frankError).toContain(
      'the mattermost_username trait of access user frank ("@Frank.F") is not a Mattermost username as Mattermost writes it (lower case, no @)',
    );
    // The Mattermost user named dave is someone else: nothing reached them.
    await pause(500);
    expect(dmOf('dave')).toBeUndefined();
    expect(dmOf('frank.f')).toBeUndefined();
    for (const username of ['alice.smith', 'bob.b', 'carol'])
      expect(rootsOf(dmOf(username)!, req.id)).toHaveLength(1);
  });

  it('a reviewer reached by trait decides from their DM: one review by the access user the trait maps back to', async () => {
    const req = await (await stack.clientFor('bob')).createRequest({
      roles: ['dba'],
      reason: 'index rebuild',
      suggestedReviewers: ['alice'],
    });
    const dm = await rootIn(() => dmOf('alice.smith'), req.id);
    const before = fake.dialogs.length;
    const answer = await click(fake, fake.postById(dm.id)!, 'alice.smith', 'approve');
    expect(answer.status).toBe(200);
    const dialog = fake.dialogs.slice(before).find((d) => d.userId === fake.userByName('alice.smith').id);
    expect(dialog).toBeDefined();
    const submit = await submitDialog(fake, dialog!, 'alice.smith', { reason: 'looked at it' });
    expect(submit).toMatchObject({ status: 200, shown: '' });
    const after = await stack.adminClient.getRequest(req.id);
    expect(after.state).toBe('APPROVED');
    expect(after.reviews.map((r) => [r.author, r.reason])).toEqual([['alice', 'looked at it']]);
    await stack.waitFor(
      () => rootsOf(dm.channel_id, req.id).find((p) => actionIds(p).length === 0),
      30_000,
      'buttons gone',
    );
  });
});
