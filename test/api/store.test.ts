// SqliteStore on its own: the event log and the requests table move together, seq only
// grows, compare-and-set refuses stale writers, and a reopened file keeps everything.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { expectRejectCode } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'accessbot-store-'));
  dirs.push(dir);
  return join(dir, 'nested', 'accessbot.db');
}

function request(id: string, version = 1, state: AccessRequest['state'] = 'PENDING'): AccessRequest {
  return {
    id,
    user: 'alice',
    roles: ['dba'],
    resources: [],
    reason: '',
    suggestedReviewers: [],
    annotations: {},
    thresholds: [{ approve: 1, deny: 1 }],
    roleThresholds: { dba: [0] },
    state,
    reviews: [],
    created: '2026-01-01T00:00:00.000Z',
    requestExpires: '2026-01-02T00:00:00.000Z',
    accessExpires: '2026-01-01T08:00:00.000Z',
    approvedRoles: [],
    version,
  };
}

it('writes each change with its event, notifies after commit, and refuses stale versions', async () => {
  const store = new SqliteStore({ path: tempDb() });
  const notified: number[] = [];
  store.onCommit((e) => notified.push(e.seq));

  const a = await store.createRequest(request('a'));
  const b = await store.createRequest(request('b'));
  const a2 = await store.updateRequest(request('a', 2, 'APPROVED'), 1);
  await expectRejectCode(store.updateRequest(request('a', 2, 'DENIED'), 1), 'CONFLICT');
  await expectRejectCode(store.updateRequest(request('zzz', 2), 1), 'REQUEST_NOT_FOUND');
  await expectRejectCode(store.createRequest(request('b')), 'CONFLICT');
  const del = await store.deleteRequest('b');

  expect([a.seq, b.seq, a2.seq, del.seq]).toEqual([1, 2, 3, 4]);
  expect(notified).toEqual([1, 2, 3, 4]);
  expect(await store.latestSeq()).toBe(4);
  expect((await store.getRequest('a'))?.state).toBe('APPROVED');
  expect(await store.getRequest('b')).toBeNull();
  expect((await store.eventsSince(2, 10)).map((e) => [e.type, e.request.id, e.request.state])).toEqual([
    ['put', 'a', 'APPROVED'],
    ['delete', 'b', 'PENDING'],
  ]);
  expect((await store.listDueRequests(new Date('2026-01-03T00:00:00Z'), 10)).map((r) => r.id)).toEqual([]);
  await store.close();
});

it('keeps data and the seq high-water mark across a reopen', async () => {
  const path = tempDb();
  const first = new SqliteStore({ path });
  await first.createRequest(request('x'));
  await first.createRequest(request('y'));
  await first.deleteRequest('y');
  await first.close();

  const second = new SqliteStore({ path });
  expect(await second.latestSeq()).toBe(3);
  expect((await second.createRequest(request('z'))).seq).toBe(4);
  expect((await second.listDueRequests(new Date('2026-01-03T00:00:00Z'), 10)).map((r) => r.id)).toEqual([
    'x',
    'z',
  ]);
  await second.close();
});

it('finds users by email case-insensitively and deletes their tokens with them', async () => {
  const store = new SqliteStore({ path: tempDb() });
  await store.putUser({
    name: 'al',
    email: 'Al@Example.com',
    roles: [],
    traits: { team: ['db'] },
    createdAt: 'x',
  });
  await store.putToken({ hash: 'h1', user: 'al', created: 'x' });
  expect((await store.findUserByEmail('aL@example.COM'))?.name).toBe('al');
  expect((await store.findUsersByTrait('team', 'db')).map((u) => u.name)).toEqual(['al']);
  expect(await store.deleteUser('al')).toBe(true);
  expect(await store.findToken('h1')).toBeNull();
  await store.close();
});

it('sees roles written through another connection to the same file (cached roles are not stale)', async () => {
  const path = tempDb();
  const a = new SqliteStore({ path });
  const b = new SqliteStore({ path });
  const role = (name: string) => ({ kind: 'role' as const, metadata: { name }, spec: {} });
  await a.putRoles([role('one')]);
  expect((await a.listRoles()).map((r) => r.metadata.name)).toEqual(['one']);
  await b.putRoles([role('two')]);
  expect((await a.listRoles()).map((r) => r.metadata.name)).toEqual(['one', 'two']);
  await b.deleteRole('one');
  expect((await a.listRoles()).map((r) => r.metadata.name)).toEqual(['two']);
  await a.close();
  await b.close();
});

it('writes a batch of conditional updates in one go, skipping rows changed or deleted meanwhile', async () => {
  const store = new SqliteStore({ path: tempDb() });
  for (const id of ['a', 'b', 'c', 'd']) await store.createRequest(request(id));
  await store.updateRequest(request('b', 2, 'APPROVED'), 1);
  await store.deleteRequest('c');
  const seq = await store.latestSeq();
  const notified: string[] = [];
  store.onCommit((e) => notified.push(e.request.id));

  const events = await store.updateRequestsIfUnchanged(
    ['a', 'b', 'c', 'd'].map((id) => ({ request: request(id, 2, 'EXPIRED'), expectedVersion: 1 })),
  );
  expect(events.map((e) => [e.seq, e.request.id])).toEqual([
    [seq + 1, 'a'],
    [seq + 2, 'd'],
  ]);
  expect(notified).toEqual(['a', 'd']);
  expect((await store.getRequest('b'))?.state).toBe('APPROVED');
  expect(await store.getRequest('c')).toBeNull();
  expect(await store.updateRequestsIfUnchanged([])).toEqual([]);
  await store.close();
});

it('reports the due backlog: a count up to its limit and the oldest due expiry', async () => {
  const store = new SqliteStore({ path: tempDb() });
  const at = (h: number) => new Date(Date.UTC(2026, 0, 1, h)).toISOString();
  for (const [id, h] of [
    ['x', 3],
    ['y', 1],
    ['z', 2],
    ['w', 9],
  ] as const)
    await store.createRequest({ ...request(id), requestExpires: at(h) });
  await store.updateRequest({ ...request('z', 2, 'APPROVED'), requestExpires: at(2) }, 1);
  const now = new Date(at(5));
  expect(await store.dueBacklog(now, 100)).toEqual({ count: 2, oldestDue: at(1) });
  expect(await store.dueBacklog(now, 1)).toEqual({ count: 1, oldestDue: at(1) });
  expect(await store.dueBacklog(new Date(at(0)), 100)).toEqual({ count: 0, oldestDue: null });
  await store.close();
});

it('pages users by name', async () => {
  const store = new SqliteStore({ path: tempDb() });
  for (const name of ['carol', 'alice', 'bob', 'dave'])
    await store.putUser({ name, roles: [], traits: {}, createdAt: '2026-01-01T00:00:00.000Z' });
  expect((await store.listUsersPage('', 3)).map((u) => u.name)).toEqual(['alice', 'bob', 'carol']);
  expect((await store.listUsersPage('carol', 3)).map((u) => u.name)).toEqual(['dave']);
  expect(await store.listUsersPage('dave', 3)).toEqual([]);
  await store.close();
});

it('prunes old events in small batches, letting other work in between, and keeps the newer ones', async () => {
  let clock = new Date('2026-01-01T00:00:00Z');
  const store = new SqliteStore({ path: tempDb(), now: () => clock });
  for (let n = 0; n < 1234; n++) await store.createRequest(request(`old-${n}`));
  clock = new Date('2026-02-01T00:00:00Z');
  for (let n = 0; n < 5; n++) await store.createRequest(request(`new-${n}`));

  let done = false;
  const pruning = store.pruneEventsBefore(new Date('2026-01-15T00:00:00Z')).then((n) => {
    done = true;
    return n;
  });
  // Other work runs between batches: the prune is part-way, not one long block.
  await new Promise((resolve) => setImmediate(resolve));
  expect(done).toBe(false);
  const partWay = (await store.firstSeq()) as number;
  expect(partWay).toBeGreaterThan(1);
  expect(partWay).toBeLessThan(1235);

  expect(await pruning).toBe(1234);
  expect(await store.firstSeq()).toBe(1235);
  expect(await store.latestSeq()).toBe(1239);
  await store.close();
});
