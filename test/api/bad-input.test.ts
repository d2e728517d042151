// Bad input gets a 4xx with a stable code and changes nothing: the event log, the
// request listing, the roles and the users are compared before and after each refusal.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { ALL_SEED_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectRejectCode, snapshot } from './helpers.js';

let t: TestApi;
let alice: HttpAccessClient;
let rita: HttpAccessClient;
let dave: HttpAccessClient;
let before: Awaited<ReturnType<typeof snapshot>>;

beforeAll(async () => {
  t = await startTestApi({
    rolesYaml: ALL_SEED_ROLES_YAML,
    users: [seedUsers.alice, seedUsers.rita, seedUsers.dave],
  });
  alice = await t.clientFor('alice');
  rita = await t.clientFor('rita');
  dave = await t.clientFor('dave');
  await alice.createRequest({ roles: ['dba'], reason: 'a request that exists' });
});

afterAll(async () => {
  await t?.stop();
});

beforeEach(async () => {
  before = await snapshot(t.adminClient);
});

async function expectUnchanged() {
  expect(await snapshot(t.adminClient)).toEqual(before);
}

/** Raw HTTP, for inputs the typed client would never produce. */
async function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const token = readFileSync(t.api.adminTokenFile, 'utf8').trim();
  const res = await fetch(t.api.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...headers },
    ...(body === undefined ? {} : { body }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { error?: { code: string; message: string; details?: unknown } },
  };
}

describe('requests', () => {
  it('unknown role → UNKNOWN_ROLE', async () => {
    const err = await expectRejectCode(alice.createRequest({ roles: ['no-such-role'] }), 'UNKNOWN_ROLE');
    expect(err.message).toContain('no-such-role');
    await expectUnchanged();
  });

  it('malformed resource ID → INVALID_RESOURCE_ID', async () => {
    const err = await expectRejectCode(
      rita.createRequest({ resources: ['/cluster/node'] }),
      'INVALID_RESOURCE_ID',
    );
    expect(err.status).toBe(400);
    await expectUnchanged();
  });

  it('oversized reason → REASON_TOO_LONG', async () => {
    await expectRejectCode(
      alice.createRequest({ roles: ['dba'], reason: 'x'.repeat(4097) }),
      'REASON_TOO_LONG',
    );
    await expectUnchanged();
  });

  it('roles and resources together → MIXED_ROLES_AND_RESOURCES', async () => {
    await expectRejectCode(
      rita.createRequest({ roles: ['access'], resources: ['/cluster/node/web-1'] }),
      'MIXED_ROLES_AND_RESOURCES',
    );
    await expectUnchanged();
  });

  it('missing reason where the role requires one → REASON_REQUIRED carrying the prompt', async () => {
    const err = await expectRejectCode(dave.createRequest({ roles: ['common'] }), 'REASON_REQUIRED');
    expect(err.message).toContain('Please provide your ticket ID');
    await expectUnchanged();
  });

  it('a role the user may not request → ROLE_NOT_REQUESTABLE', async () => {
    await expectRejectCode(alice.createRequest({ roles: ['admin'] }), 'ROLE_NOT_REQUESTABLE');
    await expectUnchanged();
  });

  it('unknown body fields, wrong types and bad JSON → VALIDATION_FAILED; a huge body → PAYLOAD_TOO_LARGE', async () => {
    const json = { 'content-type': 'application/json' };
    const unknownField = await raw(
      'POST',
      '/v1/requests',
      JSON.stringify({ roles: ['dba'], sudo: true }),
      json,
    );
    expect(unknownField).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    const wrongType = await raw('POST', '/v1/requests', JSON.stringify({ roles: 'dba' }), json);
    expect(wrongType).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    const badJson = await raw('POST', '/v1/requests', '{"roles": [', json);
    expect(badJson).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    const huge = await raw(
      'POST',
      '/v1/requests',
      JSON.stringify({ reason: 'x'.repeat(2 * 1024 * 1024) }),
      json,
    );
    expect(huge).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    const notUuid = await raw('GET', '/v1/requests/not-a-uuid');
    expect(notUuid).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    await expectUnchanged();
  });

  it('errors never carry a stack trace', async () => {
    const res = await raw('POST', '/v1/requests', '{"roles": [', { 'content-type': 'application/json' });
    expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(Object.keys(res.body)).toEqual(['error']);
  });
});

describe('authentication', () => {
  it('an invalid token → INVALID_TOKEN (401); no token → UNAUTHENTICATED (401)', async () => {
    const forged = new HttpAccessClient({ baseUrl: t.api.url, token: 'abt_forged' });
    const err = await expectRejectCode(forged.createRequest({ roles: ['dba'] }), 'INVALID_TOKEN');
    expect(err.status).toBe(401);
    const res = await fetch(`${t.api.url}/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ roles: ['dba'] }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    await expectUnchanged();
  });

  it('authentication happens before the body is parsed', async () => {
    const res = await fetch(`${t.api.url}/v1/requests`, {
      method: 'POST',
      headers: { authorization: 'Bearer abt_forged', 'content-type': 'application/json' },
      body: '{"this is": not json',
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_TOKEN');
  });

  it('an unknown route → NOT_FOUND (404)', async () => {
    const res = await raw('GET', '/v1/nothing-here');
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
  });
});

describe('roles and users', () => {
  it('malformed roles YAML → INVALID_YAML', async () => {
    await expectRejectCode(t.adminClient.applyRolesYaml('kind: role\nmetadata: [unclosed\n'), 'INVALID_YAML');
    await expectUnchanged();
  });

  it('one bad document among good ones → INVALID_ROLE listing every problem, and no role is written', async () => {
    const yaml = [
      'kind: role\nversion: v7\nmetadata:\n  name: good-new-role\nspec: {}\n',
      'kind: role\nversion: v7\nmetadata:\n  name: bad-thresholds\nspec:\n  allow:\n    request:\n      roles: ["^(unclosed$"]\n      thresholds:\n        - approve: 0\n',
    ].join('---\n');
    const err = await expectRejectCode(t.adminClient.applyRolesYaml(yaml), 'INVALID_ROLE');
    expect(JSON.stringify(err.details)).toContain('approve');
    expect(JSON.stringify(err.details)).toContain('unclosed');
    await expectUnchanged();
    expect((await t.adminClient.listRoles()).map((r) => r.metadata.name)).not.toContain('good-new-role');
  });

  it('a JSON array with a bad role → INVALID_ROLE, none written', async () => {
    const good = { kind: 'role', metadata: { name: 'json-good' }, spec: {} };
    const bad = { kind: 'user', metadata: {}, spec: {} };
    await expectRejectCode(t.adminClient.applyRoles([good, bad] as never), 'INVALID_ROLE');
    await expectUnchanged();
  });

  it('a user with an unknown role → UNKNOWN_ROLE', async () => {
    await expectRejectCode(
      t.adminClient.upsertUser({ name: 'zed', roles: ['contractor', 'ghost'] }),
      'UNKNOWN_ROLE',
    );
    await expectUnchanged();
  });

  it('a role still held by a user cannot be deleted', async () => {
    await expectRejectCode(t.adminClient.deleteRole('contractor'), 'CONFLICT');
    await expectUnchanged();
  });

  it('non-admins cannot manage users or roles', async () => {
    await expectRejectCode(alice.upsertUser({ name: 'mallory', roles: ['accessbot-admin'] }), 'FORBIDDEN');
    await expectRejectCode(alice.applyRolesYaml('kind: role\nmetadata:\n  name: x\nspec: {}\n'), 'FORBIDDEN');
    await expectRejectCode(alice.issueToken('rita'), 'FORBIDDEN');
    await expectUnchanged();
  });
});
