// The watch log is bounded: events past the retention are pruned, the sequence never goes
// back, and a watcher whose cursor falls in the pruned part is told CURSOR_EXPIRED (410)
// instead of silently missing events.

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RequestEvent } from '../../src/access/types.js';
import { startEventPruner } from '../../src/api/event-pruner.js';
import type { HttpAccessClient } from '../../src/client/http-access-client.js';
import { createLogger } from '../../src/log.js';
import { ALL_SEED_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectRejectCode, waitFor } from './helpers.js';

let t: TestApi;
let alice: HttpAccessClient;
const log = createLogger({ level: 'silent' });

beforeAll(async () => {
  t = await startTestApi({ rolesYaml: ALL_SEED_ROLES_YAML, users: [seedUsers.alice, seedUsers.bob] });
  alice = await t.clientFor('alice');
  for (let i = 0; i < 3; i++) await alice.createRequest({ roles: ['dba'], reason: `old ${i}` });
});

afterAll(async () => {
  await t?.stop();
});

it('keeps events younger than the retention and prunes the rest, without moving the sequence', async () => {
  const store = t.api.store;
  const keep = startEventPruner(store, 3600_000, log);
  expect(await keep.prune()).toBe(0);
  await keep.stop();
  expect(await store.firstSeq()).toBe(1);

  // An hour later (as far as the pruner can tell), with a retention of one minute.
  const later = startEventPruner(store, 60_000, log, () => new Date(Date.now() + 3600_000));
  expect(await later.prune()).toBe(3);
  await later.stop();
  expect(await store.firstSeq()).toBeNull();
  expect(await t.adminClient.latestSeq()).toBe(3);
});

it('refuses a cursor in the pruned part with CURSOR_EXPIRED, and streams from the latest', async () => {
  await expectRejectCode(t.adminClient.watch({ since: 0, onEvent: () => {} }), 'CURSOR_EXPIRED');
  await expectRejectCode(t.adminClient.watch({ since: 2, onEvent: () => {} }), 'CURSOR_EXPIRED');
  const received: RequestEvent[] = [];
  const abort = new AbortController();
  const watching = t.adminClient.watch({
    since: 3,
    signal: abort.signal,
    onEvent: (e) => void received.push(e),
  });
  const live = await alice.createRequest({ roles: ['dba'], reason: 'after the prune' });
  const event = await waitFor(() => received.find((e) => e.request.id === live.id), 'live event');
  expect(event.seq).toBe(4);
  abort.abort();
  await watching;
  // Event 4 is kept: a cursor right before it is fine, one before the gap is not.
  expect(await t.api.store.firstSeq()).toBe(4);
  await expectRejectCode(t.adminClient.watch({ since: 2, onEvent: () => {} }), 'CURSOR_EXPIRED');
});
