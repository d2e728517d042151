// The store conformance suite: every behaviour of the Store contract (src/store/types.ts) that
// the API relies on, written once and run against each backend (sqlite.test.ts,
// postgres.test.ts). See README.md.

import { afterEach, describe, expect, it } from 'vitest';
import type { Role } from '../../../src/access/types.js';
import { expectRejectCode } from '../../api/helpers.js';
import type { StoreBackend, StoreLocation } from './backends.js';
import { eventually, request } from './fixtures.js';

const DUE = new Date('2026-01-03T00:00:00Z');

export function storeConformanceSuite(backend: StoreBackend): void {
  describe(`store conformance: ${backend.name}`, () => {
    const locations: StoreLocation[] = [];
    afterEach(async () => {
      for (const l of locations.splice(0)) await l.dispose();
    });
    const fresh = async () => {
      const location = await backend.fresh();
      locations.push(location);
      return location;
    };
    const open = async (opts: { now?: () => Date } = {}) => (await fresh()).open(opts);

    it('writes each change with its event, notifies after commit, and refuses stale versions', async () => {
      const store = await open();
      const notified: number[] = [];
      store.onCommit((e) => notified.push(e.seq));

      const a = await store.createRequest(request('a'));
      const b = await store.createRequest(request('b'));
      const a2 = await store.updateRequest(request('a', 2, 'APPROVED'), 1);
      await expectRejectCode(store.updateRequest(request('a', 2, 'DENIED'), 1), 'CONFLICT');
      await expectRejectCode(store.updateRequest(request('zzz', 2), 1), 'REQUEST_NOT_FOUND');
      await expectRejectCode(store.createRequest(request('b')), 'CONFLICT');
      await expectRejectCode(store.deleteRequest('zzz'), 'REQUEST_NOT_FOUND');
      const del = await store.deleteRequest('b');

      expect([a.seq, b.seq, a2.seq, del.seq]).toEqual([1, 2, 3, 4]);
      await eventually(() => notified.length >= 4, 'four commit notifications');
      expect(notified).toEqual([1, 2, 3, 4]);
      expect(await store.latestSeq()).toBe(4);
      expect((await store.getRequest('a'))?.state).toBe('APPROVED');
      expect(await store.getRequest('b')).toBeNull();
      expect((await store.eventsSince(2, 10)).map((e) => [e.type, e.request.id, e.request.state])).toEqual([
        ['put', 'a', 'APPROVED'],
        ['delete', 'b', 'PENDING'],
      ]);
      expect(await store.listDueRequests(DUE, 10)).toEqual([]);
    });

    it('keeps data and the seq high-water mark across a reopen, even when pruning emptied the log', async () => {
      const location = await fresh();
      const first = await location.open();
      await first.createRequest(request('x'));
      await first.createRequest(request('y'));
      await first.deleteRequest('y');
      await first.close();

      const second = await location.open();
      expect(await second.latestSeq()).toBe(3);
      expect((await second.createRequest(request('z'))).seq).toBe(4);
      expect((await second.listDueRequests(DUE, 10)).map((r) => r.id)).toEqual(['x', 'z']);
      expect(await second.pruneEventsBefore(new Date(Date.now() + 60_000))).toBe(4);
      expect(await second.firstSeq()).toBeNull();
      expect(await second.latestSeq()).toBe(4);
      await second.close();
      const third = await location.open();
      expect((await third.createRequest(request('w'))).seq).toBe(5);
    });

    it('prunes only events recorded before the cutoff, oldest first, and moves firstSeq', async () => {
      let clock = new Date('2026-01-01T00:00:00Z');
      const store = await open({ now: () => clock });
      for (let i = 0; i < 5; i++) {
        await store.createRequest(request(`r${i}`));
        clock = new Date(clock.getTime() + 60_000);
      }
      expect(await store.firstSeq()).toBe(1);
      expect(await store.pruneEventsBefore(new Date('2026-01-01T00:02:00Z'))).toBe(2);
      expect(await store.firstSeq()).toBe(3);
      expect(await store.latestSeq()).toBe(5);
      expect((await store.eventsSince(0, 10)).map((e) => e.seq)).toEqual([3, 4, 5]);
      expect(await store.pruneEventsBefore(new Date('2026-01-01T00:02:00Z'))).toBe(0);
    });

    it('reads the log bounded in count and bytes, always at least one event', async () => {
      const store = await open();
      for (let i = 0; i < 6; i++)
        await store.createRequest(request(`e${i}`, 1, 'PENDING', { reason: 'x'.repeat(1000) }));
      const size = Buffer.byteLength(
        JSON.stringify(request('e0', 1, 'PENDING', { reason: 'x'.repeat(1000) })),
      );
      expect((await store.readEvents(0, { maxEvents: 4, maxBytes: 1e9 })).map((e) => e.seq)).toEqual([
        1, 2, 3, 4,
      ]);
      // The event that crosses the budget is included; nothing after it.
      expect(
        (await store.readEvents(1, { maxEvents: 100, maxBytes: size * 2 + 1 })).map((e) => e.seq),
      ).toEqual([2, 3, 4]);
      expect((await store.readEvents(2, { maxEvents: 100, maxBytes: 1 })).map((e) => e.seq)).toEqual([3]);
      const [first] = await store.readEvents(0, { maxEvents: 1, maxBytes: 1 });
      expect(JSON.parse(first!.requestJson)).toEqual(
        request('e0', 1, 'PENDING', { reason: 'x'.repeat(1000) }),
      );
      expect(await store.readEvents(6, { maxEvents: 10, maxBytes: 10 })).toEqual([]);
    });

    it('pages requests in store order with filters, stable positions and a byte budget', async () => {
      const store = await open();
      await store.createRequest(request('p1', 1, 'PENDING', { user: 'bob' }));
      await store.createRequest(request('p2', 1, 'PENDING', { requestExpires: '2026-01-05T00:00:00.000Z' }));
      await store.createRequest(request('p3', 1, 'PENDING', { user: 'bob', reason: 'y'.repeat(500) }));
      await store.createRequest(request('p4'));
      // An update keeps a request's position.
      await store.updateRequest(request('p1', 2, 'APPROVED', { user: 'bob' }), 1);
      await store.deleteRequest('p4');

      const all = await store.listRequestsPage({ after: 0, limit: 10 });
      expect(all.map((p) => p.request.id)).toEqual(['p1', 'p2', 'p3']);
      const positions = all.map((p) => p.position);
      expect([...positions].sort((x, y) => x - y)).toEqual(positions);
      expect(all[2]!.bytes).toBe(Buffer.byteLength(JSON.stringify(all[2]!.request)));

      const firstPage = await store.listRequestsPage({ after: 0, limit: 2 });
      const rest = await store.listRequestsPage({ after: firstPage[1]!.position, limit: 2 });
      expect([...firstPage, ...rest].map((p) => p.request.id)).toEqual(['p1', 'p2', 'p3']);

      expect(
        (await store.listRequestsPage({ after: 0, limit: 10, user: 'bob' })).map((p) => p.request.id),
      ).toEqual(['p1', 'p3']);
      expect(
        (await store.listRequestsPage({ after: 0, limit: 10, state: 'PENDING' })).map((p) => p.request.id),
      ).toEqual(['p2', 'p3']);
      // Filters match the stored state only: a read never expires a due PENDING request.
      expect(
        (await store.listRequestsPage({ after: 0, limit: 10, state: 'EXPIRED' })).map((p) => p.request.id),
      ).toEqual([]);
      expect(
        (await store.listRequestsPage({ after: 0, limit: 10, user: 'bob', state: 'APPROVED' })).map(
          (p) => p.request.id,
        ),
      ).toEqual(['p1']);
      // The row crossing the budget is included, nothing after it.
      expect(
        (await store.listRequestsPage({ after: 0, limit: 10, maxBytes: 1 })).map((p) => p.request.id),
      ).toEqual(['p1']);
      expect((await store.listDueRequests(new Date('2026-01-06T00:00:00Z'), 10)).map((r) => r.id)).toEqual([
        'p3',
        'p2',
      ]);
      expect((await store.listDueRequests(new Date('2026-01-06T00:00:00Z'), 1)).map((r) => r.id)).toEqual([
        'p3',
      ]);
    });

    it('writes a batch of conditional updates in one go, skipping those changed meanwhile or gone', async () => {
      const location = await fresh();
      const store = await location.open();
      const other = await location.open();
      const heard: number[] = [];
      store.onCommit((e) => heard.push(e.seq));
      for (const id of ['b1', 'b2', 'b3', 'b4']) await store.createRequest(request(id));
      await other.updateRequest(request('b2', 2, 'APPROVED'), 1);
      await other.deleteRequest('b4');
      const events = await store.updateRequestsIfUnchanged([
        { request: request('b1', 2, 'EXPIRED'), expectedVersion: 1 },
        { request: request('b2', 2, 'EXPIRED'), expectedVersion: 1 },
        { request: request('b3', 2, 'EXPIRED'), expectedVersion: 1 },
        { request: request('b4', 2, 'EXPIRED'), expectedVersion: 1 },
        { request: request('nope', 2, 'EXPIRED'), expectedVersion: 1 },
      ]);
      expect(events.map((e) => [e.seq, e.request.id])).toEqual([
        [7, 'b1'],
        [8, 'b3'],
      ]);
      expect(await store.updateRequestsIfUnchanged([])).toEqual([]);
      expect((await other.getRequest('b2'))?.state).toBe('APPROVED');
      expect((await other.getRequest('b3'))?.state).toBe('EXPIRED');
      await eventually(() => heard.includes(8), 'the batch heard');
      expect(heard.filter((s) => s >= 7)).toEqual([7, 8]);
    });

    it('reports the due backlog, counting up to the limit asked for', async () => {
      const store = await open();
      expect(await store.dueBacklog(DUE, 10)).toEqual({ count: 0, oldestDue: null });
      await store.createRequest(request('d1', 1, 'PENDING', { requestExpires: '2026-01-02T05:00:00.000Z' }));
      await store.createRequest(request('d2', 1, 'PENDING', { requestExpires: '2026-01-02T01:00:00.000Z' }));
      await store.createRequest(request('d3', 1, 'APPROVED', { requestExpires: '2026-01-01T00:00:00.000Z' }));
      await store.createRequest(request('d4', 1, 'PENDING', { requestExpires: '2026-02-01T00:00:00.000Z' }));
      expect(await store.dueBacklog(DUE, 10)).toEqual({ count: 2, oldestDue: '2026-01-02T01:00:00.000Z' });
      expect(await store.dueBacklog(DUE, 1)).toEqual({ count: 1, oldestDue: '2026-01-02T01:00:00.000Z' });
      expect(await store.dueBacklog(DUE, 0)).toEqual({ count: 0, oldestDue: '2026-01-02T01:00:00.000Z' });
    });

    it('pages users by name', async () => {
      const store = await open();
      for (const name of ['cy', 'al', 'bo', 'di'])
        await store.putUser({ name, roles: [], traits: {}, createdAt: 'x' });
      expect((await store.listUsersPage('', 3)).map((u) => u.name)).toEqual(['al', 'bo', 'cy']);
      expect((await store.listUsersPage('cy', 3)).map((u) => u.name)).toEqual(['di']);
      expect(await store.listUsersPage('di', 3)).toEqual([]);
    });

    it('refuses a new request too large to store, and writes nothing for it', async () => {
      const store = await open();
      const huge = request('big', 1, 'PENDING', { reason: 'z'.repeat(200 * 1024) });
      await expectRejectCode(store.createRequest(huge), 'REQUEST_TOO_LARGE');
      expect(await store.latestSeq()).toBe(0);
      expect(await store.getRequest('big')).toBeNull();
    });

    it('lets exactly one of many concurrent compare-and-set writers win', async () => {
      const location = await fresh();
      const a = await location.open();
      const b = await location.open();
      await a.createRequest(request('cas'));
      const attempts = Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).updateRequest(request('cas', 2, i % 3 ? 'APPROVED' : 'DENIED'), 1).then(
          () => 'won',
          (err: { code?: string }) => err.code,
        ),
      );
      const outcomes = await Promise.all(attempts);
      expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
      expect(outcomes.filter((o) => o !== 'won').every((o) => o === 'CONFLICT')).toBe(true);
      expect(await a.latestSeq()).toBe(2);
      expect((await b.getRequest('cas'))?.version).toBe(2);
    });

    it('finds users by email case-insensitively and by trait, and deletes their tokens with them', async () => {
      const store = await open();
      expect(await store.isEmpty()).toBe(true);
      expect(await store.hasUsers()).toBe(false);
      await store.putUser({
        name: 'al',
        email: 'Al@Example.com',
        roles: [],
        traits: { team: ['db'] },
        createdAt: 'x',
      });
      await store.putUser({ name: 'bo', roles: [], traits: { team: ['web'] }, createdAt: 'x' });
      await store.putToken({ hash: 'h1', user: 'al', created: 'x' });
      await store.putToken({
        hash: 'h2',
        user: 'bo',
        created: 'x',
        description: 'ci',
        expires: '2030-01-01',
      });
      await store.putToken({ hash: 'h3', user: 'bo', created: 'x', description: 'laptop' });
      expect(await store.isEmpty()).toBe(false);
      expect((await store.findUserByEmail(' aL@example.COM '))?.name).toBe('al');
      expect((await store.findUsersByTrait('team', 'db')).map((u) => u.name)).toEqual(['al']);
      expect((await store.listUsers()).map((u) => u.name)).toEqual(['al', 'bo']);
      expect(await store.findToken('h2')).toEqual({
        hash: 'h2',
        user: 'bo',
        created: 'x',
        description: 'ci',
        expires: '2030-01-01',
      });
      expect(await store.deleteTokens('bo', 'ci')).toBe(1);
      expect(await store.findToken('h2')).toBeNull();
      expect(await store.findToken('h3')).not.toBeNull();
      expect(await store.deleteUser('al')).toBe(true);
      expect(await store.deleteUser('al')).toBe(false);
      expect(await store.findToken('h1')).toBeNull();
      expect(await store.deleteTokens('bo')).toBe(1);
    });

    it('creates the first user once, even when two stores race for it', async () => {
      const location = await fresh();
      const a = await location.open();
      const b = await location.open();
      const user = (name: string) => ({ name, roles: [], traits: {}, createdAt: 'x' });
      const results = await Promise.all([
        a.createFirstUser(user('first-a'), { hash: 'ha', user: 'first-a', created: 'x' }),
        b.createFirstUser(user('first-b'), { hash: 'hb', user: 'first-b', created: 'x' }),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await a.listUsers()).toHaveLength(1);
      expect(await a.createFirstUser(user('late'), { hash: 'hl', user: 'late', created: 'x' })).toBe(false);
      expect(await a.findToken('hl')).toBeNull();
    });

    it('sees roles written through another store on the same location (nothing cached stale)', async () => {
      const location = await fresh();
      const a = await location.open();
      const b = await location.open();
      const role = (name: string): Role => ({ kind: 'role', metadata: { name }, spec: {} }) as Role;
      await a.putRoles([role('one')]);
      expect((await a.listRoles()).map((r) => r.metadata.name)).toEqual(['one']);
      await b.putRoles([role('two'), role('one')]);
      expect((await a.listRoles()).map((r) => r.metadata.name)).toEqual(['one', 'two']);
      expect(await b.deleteRole('one')).toBe(true);
      expect(await b.deleteRole('one')).toBe(false);
      expect((await a.listRoles()).map((r) => r.metadata.name)).toEqual(['two']);
      expect((await a.getRole('two'))?.metadata.name).toBe('two');
    });

    it('never lets a reader skip or repeat an event while many writers commit at once', async () => {
      const location = await fresh();
      const writers = backend.replicas
        ? [await location.open(), await location.open()]
        : [await location.open()];
      const reader = writers[0]!;
      const read: number[] = [];
      let cursor = 0;
      let writing = true;
      // A reader that follows the log by cursor only, as /v1/watch does.
      const follow = (async () => {
        while (writing || cursor < (await reader.latestSeq())) {
          for (const e of await reader.readEvents(cursor, { maxEvents: 50, maxBytes: 1e9 })) {
            read.push(e.seq);
            cursor = e.seq;
          }
          await new Promise((r) => setImmediate(r));
        }
      })();
      const perWriter = 8;
      const lanes = Array.from({ length: 8 }, (_, lane) =>
        (async () => {
          for (let i = 0; i < perWriter; i++) {
            const store = writers[(lane + i) % writers.length]!;
            const id = `w${lane}-${i}`;
            await store.createRequest(request(id));
            await store.updateRequest(request(id, 2, 'APPROVED'), 1);
          }
        })(),
      );
      await Promise.all(lanes);
      writing = false;
      await follow;
      const total = 8 * perWriter * 2;
      expect(read).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    });

    it('runs every singleton on one store at a time', async () => {
      const location = await fresh();
      const a = await location.open();
      expect(await a.holdsSingleton('expiry-sweeper')).toBe(true);
      expect(await a.holdsSingleton('expiry-sweeper')).toBe(true);
      if (!backend.replicas) return;
      const b = await location.open();
      expect(await b.holdsSingleton('expiry-sweeper')).toBe(false);
      // Another singleton is free to be held elsewhere.
      expect(await b.holdsSingleton('event-pruner')).toBe(true);
      expect(await a.holdsSingleton('event-pruner')).toBe(false);
      // The holder goes away: the other takes over.
      await a.close();
      expect(await b.holdsSingleton('expiry-sweeper')).toBe(true);
    });

    if (backend.replicas) {
      it('delivers large events to another replica’s onCommit in bounded reads, none skipped', async () => {
        const location = await fresh();
        const writer = await location.open();
        const follower = await location.open();
        const heard: number[] = [];
        follower.onCommit((e) => heard.push(e.seq));
        // 24 events of ~80 KB (near the new-request limit): more than one bounded read of the commit feed.
        const big = 'b'.repeat(80 * 1024);
        await Promise.all(
          Array.from({ length: 24 }, (_, i) =>
            writer.createRequest(request(`big-${i}`, 1, 'PENDING', { reason: big })),
          ),
        );
        await eventually(() => heard.length >= 24, 'every large event');
        expect(heard).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      });

      it('delivers every event to every replica’s onCommit, once each and in seq order', async () => {
        const location = await fresh();
        const replicas = [await location.open(), await location.open(), await location.open()];
        const heard = replicas.map(() => [] as number[]);
        for (const [i, r] of replicas.entries()) r.onCommit((e) => heard[i]!.push(e.seq));
        const lanes = Array.from({ length: 6 }, (_, lane) =>
          (async () => {
            for (let i = 0; i < 10; i++)
              await replicas[(lane + i) % 2]!.createRequest(request(`n${lane}-${i}`));
          })(),
        );
        await Promise.all(lanes);
        const want = Array.from({ length: 60 }, (_, i) => i + 1);
        await eventually(() => heard.every((h) => h.length >= 60), 'every replica hearing 60 events');
        await new Promise((r) => setTimeout(r, 100));
        for (const h of heard) expect(h).toEqual(want);
      });
    }
  });
}
