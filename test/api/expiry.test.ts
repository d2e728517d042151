// Pending requests expire: by the sweeper (an EXPIRED event nobody had to ask for), and on
// read (a due request never shows as PENDING, and the change is still logged).

import { afterEach, describe, expect, it } from 'vitest';
import { ALL_SEED_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectRejectCode, waitFor } from './helpers.js';

const HOUR = 3_600_000;
let t: TestApi | undefined;
let offsetMs = 0;
const now = () => new Date(Date.now() + offsetMs);

afterEach(async () => {
  await t?.stop();
  t = undefined;
  offsetMs = 0;
});

describe('expiry', () => {
  it('the sweeper expires a due PENDING request and logs an EXPIRED event', async () => {
    t = await startTestApi({
      rolesYaml: ALL_SEED_ROLES_YAML,
      users: [seedUsers.alice],
      now,
      expiryInterval: '100ms',
    });
    const alice = await t.clientFor('alice');
    const due = await alice.createRequest({ roles: ['dba'], requestTtl: '1h' });
    const notDue = await alice.createRequest({ roles: ['dba'], requestTtl: '5h' });
    const seq = await t.adminClient.latestSeq();

    offsetMs = 2 * HOUR;
    const expired = await waitFor(async () => {
      const events = await t!.api.store.eventsSince(seq, 10);
      return events.find((e) => e.request.id === due.id && e.request.state === 'EXPIRED');
    }, 'EXPIRED event');
    expect(expired.type).toBe('put');
    expect(expired.request.version).toBe(due.version + 1);
    expect((await t.api.store.getRequest(notDue.id))?.state).toBe('PENDING');
    await expectRejectCode(alice.createRequest({ roles: ['dba'], requestTtl: 'soon' }), 'INVALID_DURATION');
  });

  it('a read of a due request shows it EXPIRED and writes the event; a review of it is refused', async () => {
    // The sweeper is kept out of the way so only reads can expire anything.
    t = await startTestApi({
      rolesYaml: ALL_SEED_ROLES_YAML,
      users: [seedUsers.alice, seedUsers.bob],
      now,
      expiryInterval: '24h',
    });
    const alice = await t.clientFor('alice');
    const bob = await t.clientFor('bob');
    const a = await alice.createRequest({ roles: ['dba'], requestTtl: '1h' });
    const b = await alice.createRequest({ roles: ['dba'], requestTtl: '1h' });
    const seq = await t.adminClient.latestSeq();
    offsetMs = 2 * HOUR;

    expect((await alice.getRequest(a.id)).state).toBe('EXPIRED');
    expect(await t.adminClient.latestSeq()).toBe(seq + 1);
    expect((await alice.listRequests({ state: 'PENDING' })).map((r) => r.id)).not.toContain(b.id);
    await expectRejectCode(bob.submitReview(a.id, { proposedState: 'APPROVED' }), 'REQUEST_EXPIRED');
    const events = await t.api.store.eventsSince(seq, 10);
    expect(events.map((e) => [e.request.id, e.request.state])).toEqual([
      [a.id, 'EXPIRED'],
      [b.id, 'EXPIRED'],
    ]);
  });
});
