// A writer that loses the compare-and-set race re-reads and re-applies its change, so a
// review is never lost when another replica (or the sweeper) wrote in between. The other
// writer is injected exactly between the loser's read and its write.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseRolesYaml } from '../../src/access/index.js';
import { RequestService } from '../../src/api/request-service.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { ALL_SEED_ROLES_YAML, seedUsers } from '../access/fixtures.js';

let dir: string;
let store: SqliteStore;
const settings = { now: () => new Date(), defaultRequestTtlMs: 3_600_000, maxRequestTtlMs: 86_400_000 };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'accessbot-cas-'));
  store = new SqliteStore({ path: join(dir, 'a.db') });
  await store.putRoles(parseRolesYaml(ALL_SEED_ROLES_YAML));
  for (const u of [seedUsers.tom, seedUsers.ruth, seedUsers.sam]) await store.putUser(u);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The same store, but the next getRequest runs `interleave` after reading and before returning. */
function withInterleavedWriter(target: Store, interleave: { next?: () => Promise<unknown> }): Store {
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (prop === 'getRequest') {
        return async (id: string) => {
          const read = await t.getRequest(id);
          const other = interleave.next;
          interleave.next = undefined;
          if (other) await other();
          return read;
        };
      }
      const value = Reflect.get(t, prop, receiver);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

it('a review that loses the race is retried on the fresh request, and both reviews count', async () => {
  const interleave: { next?: () => Promise<unknown> } = {};
  const replicaA = new RequestService(withInterleavedWriter(store, interleave), settings);
  const replicaB = new RequestService(store, settings);

  const request = await replicaB.create(seedUsers.tom, { roles: ['prod-db'], reason: 'race' });
  const seq = await store.latestSeq();
  interleave.next = () => replicaB.review(seedUsers.sam, request.id, { proposedState: 'APPROVED' });

  const result = await replicaA.review(seedUsers.ruth, request.id, { proposedState: 'APPROVED' });

  expect(result.state).toBe('APPROVED');
  expect(result.reviews.map((r) => r.author)).toEqual(['sam', 'ruth']);
  expect(result.version).toBe(3);
  const events = await store.eventsSince(seq, 10);
  expect(events.map((e) => [e.request.version, e.request.state])).toEqual([
    [2, 'PENDING'],
    [3, 'APPROVED'],
  ]);
});

it('a review that races a deletion reports REQUEST_NOT_FOUND and writes nothing', async () => {
  const interleave: { next?: () => Promise<unknown> } = {};
  const replicaA = new RequestService(withInterleavedWriter(store, interleave), settings);
  const request = await new RequestService(store, settings).create(seedUsers.tom, { roles: ['prod-db'] });
  const seq = await store.latestSeq();
  interleave.next = () => store.deleteRequest(request.id);
  await expect(
    replicaA.review(seedUsers.ruth, request.id, { proposedState: 'APPROVED' }),
  ).rejects.toMatchObject({
    code: 'REQUEST_NOT_FOUND',
  });
  expect((await store.eventsSince(seq, 10)).map((e) => e.type)).toEqual(['delete']);
});
