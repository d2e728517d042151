// GET /v1/requests in pages: oldest first, every request exactly once even while requests
// are created between pages, filters applied before paging, and bad limits or cursors
// refused with nothing written. Without `limit`/`after` the answer is the first page of the
// default size; users and roles page the same way, by name.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import type { HttpAccessClient } from '../../src/client/http-access-client.js';
import type { ListRequestsPageQuery } from '../../src/client/types.js';
import { ALL_SEED_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectRejectCode, snapshot } from './helpers.js';

const HOUR = 3_600_000;
let offsetMs = 0;
let t: TestApi;
let alice: HttpAccessClient;
let bob: HttpAccessClient;
let rob: HttpAccessClient;
/** alice's requests in creation order. */
const created: AccessRequest[] = [];

beforeAll(async () => {
  t = await startTestApi({
    rolesYaml: ALL_SEED_ROLES_YAML,
    users: [seedUsers.alice, seedUsers.bob, seedUsers.rob],
    now: () => new Date(Date.now() + offsetMs),
    // The sweeper is out of the way: the expiry test runs it when it wants.
    expiryInterval: '24h',
  });
  alice = await t.clientFor('alice');
  bob = await t.clientFor('bob');
  rob = await t.clientFor('rob');
  for (let i = 0; i < 30; i++) {
    created.push(await alice.createRequest({ roles: ['dba'], reason: `paging ${i}` }));
  }
});

afterAll(async () => {
  await t?.stop();
});

/** Follows `next` to the end, running `between` after each page; returns every page. */
async function allPages(
  client: HttpAccessClient,
  query: ListRequestsPageQuery,
  between: (pageIndex: number) => Promise<void> = async () => {},
): Promise<AccessRequest[][]> {
  const pages: AccessRequest[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await client.listRequestsPage({ ...query, ...(after ? { after } : {}) });
    pages.push(page.requests);
    if (!page.next) return pages;
    expect(pages.length, 'paging must end').toBeLessThan(1000);
    after = page.next;
    await between(pages.length - 1);
  }
}

const ids = (rs: AccessRequest[]) => rs.map((r) => r.id);

describe('paged listing', () => {
  it('lists every request exactly once, oldest first, while requests are created between pages', async () => {
    const existing = ids(await t.adminClient.listRequests());
    expect(existing.length).toBeGreaterThanOrEqual(30);
    const addedMidway: string[] = [];
    const pages = await allPages(t.adminClient, { limit: 7 }, async () => {
      addedMidway.push((await alice.createRequest({ roles: ['dba'], reason: 'created mid-paging' })).id);
    });

    const seen = ids(pages.flat());
    expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
    expect(new Set(seen).size).toBe(seen.length);
    // Everything that existed is there once, in its original order, followed by what was added.
    expect(seen.slice(0, existing.length)).toEqual(existing);
    expect(seen.slice(existing.length)).toEqual(addedMidway);
    expect(addedMidway.length).toBeGreaterThan(3);
  });

  it('answers one page of the default size without limit/after (one shape for every listing)', async () => {
    const token = readFileSync(t.api.adminTokenFile, 'utf8').trim();
    const res = await fetch(`${t.api.url}/v1/requests`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { requests: AccessRequest[]; next?: string };
    expect(Array.isArray(body)).toBe(false);
    expect(ids(body.requests)).toEqual(ids((await allPages(t.adminClient, { limit: 1000 })).flat()));
  });

  it('filters by state and user before paging, so pages stay full', async () => {
    const approved = [created[3], created[10], created[11], created[25]] as AccessRequest[];
    for (const r of approved) await bob.submitReview(r.id, { proposedState: 'APPROVED' });

    const pendingPages = await allPages(t.adminClient, { state: 'PENDING', limit: 5 });
    const pending = pendingPages.flat();
    expect(pending.every((r) => r.state === 'PENDING')).toBe(true);
    expect(pendingPages.slice(0, -1).every((p) => p.length === 5)).toBe(true);
    for (const r of approved) expect(ids(pending)).not.toContain(r.id);
    expect(ids(pending)).toEqual(
      ids((await t.adminClient.listRequests()).filter((r) => r.state === 'PENDING')),
    );

    const approvedListed = (await allPages(t.adminClient, { state: 'APPROVED', limit: 3 })).flat();
    expect(ids(approvedListed)).toEqual(ids(approved));

    const alices = (await allPages(t.adminClient, { user: 'alice', limit: 11 })).flat();
    expect(alices.every((r) => r.user === 'alice')).toBe(true);
    expect(ids(alices).slice(0, created.length)).toEqual(ids(created));
  });

  it('pages only what the caller may see', async () => {
    // bob reviews dba requests, rob only `access` ones: rob's pages hold none of alice's.
    const alicePending = (await t.adminClient.listRequests({ state: 'PENDING', user: 'alice' })).filter((r) =>
      r.roles.includes('dba'),
    );
    expect(alicePending.length).toBeGreaterThan(20);
    const bobSees = ids((await allPages(bob, { state: 'PENDING', limit: 4 })).flat());
    expect(bobSees).toEqual(expect.arrayContaining(ids(alicePending)));
    // rob's pages come back short (empty) but paging still reaches the end.
    const robSees = (await allPages(rob, { limit: 4 })).flat();
    expect(robSees.filter((r) => r.user === 'alice')).toEqual([]);
  });

  it('a due PENDING request pages as EXPIRED, never as PENDING; state=EXPIRED lists it once the sweeper recorded it', async () => {
    const due = await alice.createRequest({ roles: ['dba'], requestTtl: '1h' });
    offsetMs = 2 * HOUR;
    try {
      const pending = ids((await allPages(t.adminClient, { state: 'PENDING', limit: 50 })).flat());
      expect(pending).not.toContain(due.id);
      const all = (await allPages(t.adminClient, { limit: 50 })).flat();
      expect(all.find((r) => r.id === due.id)?.state).toBe('EXPIRED');
      await t.api.sweepExpired();
      const expired = (await allPages(t.adminClient, { state: 'EXPIRED', limit: 50 })).flat();
      expect(expired.find((r) => r.id === due.id)?.state).toBe('EXPIRED');
    } finally {
      offsetMs = 0;
    }
  });
});

describe('bad paging input is refused and changes nothing', () => {
  async function raw(path: string) {
    const token = readFileSync(t.api.adminTokenFile, 'utf8').trim();
    const res = await fetch(t.api.url + path, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
  }
  const validCursor = async () => {
    const page = await t.adminClient.listRequestsPage({ limit: 2 });
    expect(page.next).toBeDefined();
    return page.next as string;
  };

  it.each([
    ['limit=0', 'VALIDATION_FAILED'],
    ['limit=1001', 'VALIDATION_FAILED'],
    ['limit=-5', 'VALIDATION_FAILED'],
    ['limit=ten', 'VALIDATION_FAILED'],
    ['limit=5&limit=6', 'VALIDATION_FAILED'],
    ['limit=5&page=2', 'VALIDATION_FAILED'],
    ['after=', 'VALIDATION_FAILED'],
    ['after=not%20a%20cursor', 'INVALID_CURSOR'],
    [`after=${Buffer.from('p:abc').toString('base64url')}`, 'INVALID_CURSOR'],
    [`after=${Buffer.from('42').toString('base64url')}`, 'INVALID_CURSOR'],
    [`after=${'A'.repeat(40)}`, 'INVALID_CURSOR'],
  ])('GET /v1/requests?%s → %s', async (query, code) => {
    const before = await snapshot(t.adminClient);
    const res = await raw(`/v1/requests?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe(code);
    expect(await snapshot(t.adminClient)).toEqual(before);
  });

  it('a cursor with a character changed is refused, not read from somewhere else', async () => {
    const cursor = await validCursor();
    const tampered = `${cursor}A`;
    await expectRejectCode(t.adminClient.listRequestsPage({ limit: 2, after: tampered }), 'INVALID_CURSOR');
    // The genuine cursor still works and continues right after the first page.
    const second = await t.adminClient.listRequestsPage({ limit: 2, after: cursor });
    expect(ids((await t.adminClient.listRequests()).slice(2, 4))).toEqual(ids(second.requests));
  });
});

it('the OpenAPI document shows limit, after and the page shape of GET /v1/requests', async () => {
  const doc = (await (await fetch(`${t.api.url}/v1/openapi.json`)).json()) as {
    paths: Record<
      string,
      Record<string, { parameters: { name: string }[]; responses: Record<string, unknown> }>
    >;
  };
  const op = doc.paths['/v1/requests']?.get;
  expect(op?.parameters.map((p) => p.name)).toEqual(
    expect.arrayContaining(['state', 'user', 'limit', 'after']),
  );
  expect(JSON.stringify(op?.responses['200'])).toContain('#/components/schemas/RequestPage');
  const page = JSON.stringify(
    (doc as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas.RequestPage,
  );
  expect(page).toContain('"next"');
  expect(page).toContain('"requests"');
});

describe('users and roles are paged too', () => {
  it('GET /v1/users and /v1/roles without limit answer a first page of 500 and a cursor; following it reaches every one once', async () => {
    const createdAt = '2026-01-01T00:00:00.000Z';
    for (let n = 0; n < 620; n++)
      await t.api.store.putUser({
        name: `bulk-${String(n).padStart(4, '0')}`,
        roles: [],
        traits: {},
        createdAt,
      });
    await t.api.store.putRoles(
      Array.from({ length: 530 }, (_, n) => ({
        kind: 'role' as const,
        version: 'v7',
        metadata: { name: `bulk-role-${String(n).padStart(4, '0')}` },
        spec: {},
      })),
    );
    const token = readFileSync(t.api.adminTokenFile, 'utf8').trim();
    const get = async (path: string) =>
      (await (await fetch(t.api.url + path, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        users?: { name: string }[];
        roles?: { metadata: { name: string } }[];
        next?: string;
      };
    const users = await get('/v1/users');
    expect(users.users).toHaveLength(500);
    expect(users.next).toBeTypeOf('string');
    const rest = await get(`/v1/users?after=${users.next}`);
    const names = [...(users.users ?? []), ...(rest.users ?? [])].map((u) => u.name);
    expect(rest.next).toBeUndefined();
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n.startsWith('bulk-'))).toHaveLength(620);

    const roles = await get('/v1/roles');
    expect(roles.roles).toHaveLength(500);
    const moreRoles = await get(`/v1/roles?after=${roles.next}`);
    expect(moreRoles.next).toBeUndefined();
    const roleNames = [...(roles.roles ?? []), ...(moreRoles.roles ?? [])].map((r) => r.metadata.name);
    expect(roleNames.filter((n) => n.startsWith('bulk-role-'))).toHaveLength(530);
    expect(new Set(roleNames).size).toBe(roleNames.length);
    // The client's whole-list helpers follow the pages.
    expect((await t.adminClient.listUsers()).map((u) => u.name)).toEqual(names);
  });
});
