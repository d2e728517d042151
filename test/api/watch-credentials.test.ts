// An open watch stream ends with its credentials: when its token expires, when its user is
// deleted, when the user loses the permission to follow requests. Nothing committed after that
// reaches the reader, and the client's watch ends with the typed error instead of reconnecting.

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RequestEvent } from '../../src/access/types.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { AccessbotError } from '../../src/errors.js';
import { CONTRACTOR_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { waitFor } from './helpers.js';

let t: TestApi;
let alice: HttpAccessClient;

beforeAll(async () => {
  t = await startTestApi({
    rolesYaml: CONTRACTOR_ROLES_YAML,
    users: [seedUsers.alice],
    watchTiming: { authRecheckMs: 200 },
  });
  alice = await t.clientFor('alice');
});
afterAll(async () => {
  await t?.stop();
});

/** A follower with its own user (holding the built-in plugin role) and token. */
async function follower(name: string, ttl?: string) {
  await t.adminClient.upsertUser({ name, roles: ['accessbot-plugin'] });
  const { token } = await t.adminClient.issueToken(name, ttl ? { ttl } : {});
  const client = new HttpAccessClient({ baseUrl: t.api.url, token });
  const received: RequestEvent[] = [];
  const since = await t.adminClient.latestSeq();
  const ended = client.watch({ since, onEvent: (event) => void received.push(event) }).then(
    () => undefined,
    (err: unknown) => err,
  );
  const created = await alice.createRequest({ roles: ['dba'], reason: `before ${name}` });
  await waitFor(() => received.find((e) => e.request.id === created.id), 'the first event');
  return { received, ended };
}

async function expectEndsWith(ended: Promise<unknown>, code: string) {
  const err = await Promise.race([
    ended,
    new Promise((r) => setTimeout(() => r(new Error('the stream is still open')), 15_000)),
  ]);
  expect(err).toBeInstanceOf(AccessbotError);
  expect((err as AccessbotError).code).toBe(code);
}

it('ends when its token expires, and sends nothing committed after that', async () => {
  const { received, ended } = await follower('follower-ttl', '3s');
  await new Promise((r) => setTimeout(r, 3_500));
  const after = await alice.createRequest({ roles: ['dba'], reason: 'secret after expiry' });
  await expectEndsWith(ended, 'INVALID_TOKEN');
  expect(received.some((e) => e.request.id === after.id)).toBe(false);
}, 30_000);

it('ends when its user is deleted', async () => {
  const { received, ended } = await follower('follower-deleted');
  await t.adminClient.deleteUser('follower-deleted');
  const after = await alice.createRequest({ roles: ['dba'], reason: 'secret after deletion' });
  await expectEndsWith(ended, 'INVALID_TOKEN');
  expect(received.some((e) => e.request.id === after.id)).toBe(false);
}, 30_000);

it('ends when its user loses the permission to follow requests', async () => {
  const { received, ended } = await follower('follower-demoted');
  await t.adminClient.upsertUser({ name: 'follower-demoted', roles: ['contractor'] });
  const after = await alice.createRequest({ roles: ['dba'], reason: 'secret after demotion' });
  await expectEndsWith(ended, 'FORBIDDEN');
  expect(received.some((e) => e.request.id === after.id)).toBe(false);
}, 30_000);
