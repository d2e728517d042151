// The access-request lifecycle over HTTP with real tokens, the real model and SQLite.

import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServiceToken } from '../../src/api/server.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { ALL_SEED_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectRejectCode } from './helpers.js';

const u = seedUsers;
let t: TestApi;
const clients: Record<string, HttpAccessClient> = {};

beforeAll(async () => {
  t = await startTestApi({
    rolesYaml: ALL_SEED_ROLES_YAML,
    users: [u.alice, u.bob, u.ivan, u.grace, u.henry, u.tom, u.ruth, u.sam, u.rob, u.dave],
  });
  for (const name of ['alice', 'bob', 'ivan', 'grace', 'henry', 'tom', 'ruth', 'sam', 'rob', 'dave']) {
    clients[name] = await t.clientFor(name);
  }
});

afterAll(async () => {
  await t?.stop();
});

const c = (name: string) => clients[name] as HttpAccessClient;

describe('request lifecycle', () => {
  it('creates, lists, shows and approves a contractor request, with one event per change', async () => {
    const before = await t.adminClient.latestSeq();
    const created = await c('alice').createRequest({ roles: ['dba'], reason: 'ticket #123' });
    expect(created).toMatchObject({ user: 'alice', roles: ['dba'], state: 'PENDING', reason: 'ticket #123' });

    expect((await c('alice').listRequests()).map((r) => r.id)).toContain(created.id);
    // bob reviews dba requests, so he sees it; rob reviews only `access`, so he does not.
    expect((await c('bob').listRequests({ state: 'PENDING' })).map((r) => r.id)).toContain(created.id);
    expect((await c('rob').listRequests()).map((r) => r.id)).not.toContain(created.id);
    await expectRejectCode(c('rob').getRequest(created.id), 'REQUEST_NOT_FOUND');

    const reviewed = await c('bob').submitReview(created.id, {
      proposedState: 'APPROVED',
      reason: 'looks fine',
    });
    expect(reviewed.state).toBe('APPROVED');
    expect(reviewed.reviews).toMatchObject([
      { author: 'bob', submittedBy: 'bob', proposedState: 'APPROVED' },
    ]);
    expect((await c('alice').getRequest(created.id)).state).toBe('APPROVED');

    const events = await t.api.store.eventsSince(before, 100);
    expect(events.map((e) => [e.type, e.request.id, e.request.state])).toEqual([
      ['put', created.id, 'PENDING'],
      ['put', created.id, 'APPROVED'],
    ]);
    expect(await t.adminClient.latestSeq()).toBe(before + 2);
  });

  it('needs two approvals where the threshold says approve: 2', async () => {
    const r = await c('tom').createRequest({ roles: ['prod-db'], reason: 'migration' });
    expect((await c('ruth').submitReview(r.id, { proposedState: 'APPROVED' })).state).toBe('PENDING');
    const after = await c('sam').submitReview(r.id, { proposedState: 'APPROVED' });
    expect(after.state).toBe('APPROVED');
    expect(after.reviews.map((x) => x.author)).toEqual(['ruth', 'sam']);
  });

  it('refuses self-review and a second review by the same person, writing nothing', async () => {
    const r = await c('tom').createRequest({ roles: ['prod-db'], reason: 'hotfix' });
    const seq = await t.adminClient.latestSeq();
    await expectRejectCode(c('tom').submitReview(r.id, { proposedState: 'APPROVED' }), 'SELF_REVIEW');
    await c('ruth').submitReview(r.id, { proposedState: 'APPROVED' });
    await expectRejectCode(c('ruth').submitReview(r.id, { proposedState: 'APPROVED' }), 'ALREADY_REVIEWED');
    expect(await t.adminClient.latestSeq()).toBe(seq + 1);
    expect((await t.adminClient.getRequest(r.id)).reviews).toHaveLength(1);
  });

  it('refuses a review by someone who may not review the requested role, as if the request did not exist', async () => {
    const r = await c('alice').createRequest({ roles: ['dba'] });
    // rob may not see it either: the answer is the one a random id gets, so the id does not leak.
    const hidden = await expectRejectCode(
      c('rob').submitReview(r.id, { proposedState: 'APPROVED' }),
      'REQUEST_NOT_FOUND',
    );
    const randomId = crypto.randomUUID();
    const random = await expectRejectCode(
      c('rob').submitReview(randomId, { proposedState: 'APPROVED' }),
      'REQUEST_NOT_FOUND',
    );
    expect(hidden.message.replace(r.id, 'ID')).toBe(random.message.replace(randomId, 'ID'));
    expect(hidden.details).toEqual(random.details);
    expect((await t.adminClient.getRequest(r.id)).state).toBe('PENDING');
  });

  it('lets the host identity review on behalf of a person, and the person is still checked', async () => {
    const hostToken = await ensureServiceToken(t.api.store, 'accessbot-host', ['accessbot-plugin']);
    const host = new HttpAccessClient({ baseUrl: t.api.url, token: hostToken });
    const r = await c('alice').createRequest({ roles: ['dba'], reason: 'on call' });

    await expectRejectCode(
      c('bob').submitReview(r.id, { proposedState: 'APPROVED', author: 'ivan' }),
      'REVIEW_AS_NOT_ALLOWED',
    );
    await expectRejectCode(
      host.submitReview(r.id, { proposedState: 'APPROVED', author: 'alice' }),
      'SELF_REVIEW',
    );
    await expectRejectCode(
      host.submitReview(r.id, { proposedState: 'APPROVED', author: 'rob' }),
      'REVIEW_NOT_ALLOWED',
    );
    await expectRejectCode(
      host.submitReview(r.id, { proposedState: 'APPROVED', author: 'nobody' }),
      'USER_NOT_FOUND',
    );

    const done = await host.submitReview(r.id, {
      proposedState: 'APPROVED',
      author: 'bob',
      reason: 'via Slack',
    });
    expect(done.state).toBe('APPROVED');
    expect(done.reviews).toMatchObject([
      { author: 'bob', submittedBy: 'accessbot-host', reason: 'via Slack' },
    ]);
  });

  it('denies on one denial and then refuses further reviews', async () => {
    const r = await c('alice').createRequest({ roles: ['dba'] });
    expect((await c('bob').submitReview(r.id, { proposedState: 'DENIED', reason: 'no ticket' })).state).toBe(
      'DENIED',
    );
    await expectRejectCode(c('ivan').submitReview(r.id, { proposedState: 'APPROVED' }), 'REQUEST_RESOLVED');
  });

  it('resolves administratively with a role subset only with update permission, recording who', async () => {
    const r = await c('grace').createRequest({ roles: ['role-1', 'role-2', 'role-3'], reason: 'release' });
    await expectRejectCode(c('henry').resolveRequest(r.id, { state: 'APPROVED' }), 'FORBIDDEN');
    const resolved = await c('ivan').resolveRequest(r.id, {
      state: 'APPROVED',
      roles: ['role-1', 'role-3'],
      reason: 'approved in standup',
    });
    expect(resolved).toMatchObject({
      state: 'APPROVED',
      approvedRoles: ['role-1', 'role-3'],
      resolvedBy: 'ivan',
      resolveReason: 'approved in standup',
    });
  });

  it('deletes only with the delete verb, and the log carries a delete event', async () => {
    const r = await c('alice').createRequest({ roles: ['dba'] });
    await expectRejectCode(c('alice').deleteRequest(r.id), 'FORBIDDEN');
    await c('ivan').deleteRequest(r.id);
    await expectRejectCode(c('alice').getRequest(r.id), 'REQUEST_NOT_FOUND');
    const [last] = await t.api.store.eventsSince((await t.adminClient.latestSeq()) - 1, 1);
    expect(last).toMatchObject({ type: 'delete', request: { id: r.id } });
  });

  it('filters listings by state and user', async () => {
    const mine = await c('ivan').listRequests({ user: 'tom' });
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.every((r) => r.user === 'tom')).toBe(true);
    const approved = await c('ivan').listRequests({ state: 'APPROVED' });
    expect(approved.length).toBeGreaterThan(0);
    expect(approved.every((r) => r.state === 'APPROVED')).toBe(true);
  });
});

describe('identity', () => {
  it('whoami tells what the caller may request and whether a reason is needed', async () => {
    const alice = await c('alice').whoami();
    expect(alice.user.name).toBe('alice');
    expect(alice.requestableRoles).toEqual(['dba']);
    const dave = await c('dave').whoami();
    expect(dave.reasonRequired).toBe(true);
    expect(dave.requestPrompt).toBe('Please provide your ticket ID');
  });

  it('finds users by email case-insensitively and by trait value', async () => {
    expect((await t.adminClient.lookupUser({ email: 'ALICE@Example.COM' }))?.name).toBe('alice');
    expect((await t.adminClient.lookupUser({ trait: 'groups', value: 'oncall' }))?.name).toBe('dave');
    expect(await t.adminClient.lookupUser({ email: 'nobody@example.com' })).toBeNull();
    await expectRejectCode(c('alice').lookupUser({ email: 'bob@example.com' }), 'FORBIDDEN');
  });

  it('writes the bootstrap admin token file with mode 0600, and a deleted user loses their tokens', async () => {
    expect(statSync(t.api.adminTokenFile).mode & 0o777).toBe(0o600);
    expect((await t.adminClient.whoami()).user.roles).toEqual(['accessbot-admin']);

    await t.adminClient.upsertUser({ name: 'temp', roles: ['approver'] });
    const temp = await t.clientFor('temp');
    expect((await temp.whoami()).user.name).toBe('temp');
    await t.adminClient.deleteUser('temp');
    await expectRejectCode(temp.whoami(), 'INVALID_TOKEN');
  });

  it('a fresh service token replaces the previous one', async () => {
    const first = await ensureServiceToken(t.api.store, 'accessbot-host', ['accessbot-plugin']);
    const second = await ensureServiceToken(t.api.store, 'accessbot-host', ['accessbot-plugin']);
    await expectRejectCode(
      new HttpAccessClient({ baseUrl: t.api.url, token: first }).whoami(),
      'INVALID_TOKEN',
    );
    expect((await new HttpAccessClient({ baseUrl: t.api.url, token: second }).whoami()).user.name).toBe(
      'accessbot-host',
    );
  });

  it('an expired token is refused', async () => {
    const issued = await t.adminClient.issueToken('alice', { ttl: '1ms' });
    await new Promise((r) => setTimeout(r, 20));
    await expectRejectCode(
      new HttpAccessClient({ baseUrl: t.api.url, token: issued.token }).whoami(),
      'INVALID_TOKEN',
    );
  });
});
