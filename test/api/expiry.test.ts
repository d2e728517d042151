// Pending requests expire by the sweeper (an EXPIRED event nobody had to ask for), never inside
// a read: a read shows a due request as EXPIRED without writing, and a change of one (a write
// anyway) records its expiry before refusing.

import { afterEach, describe, expect, it } from 'vitest';
import { EXPIRY_BATCH } from '../../src/api/request-service.js';
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

  it('expiry never runs inside a read: a due request reads as EXPIRED, nothing is written until the sweeper runs', async () => {
    // The sweeper is kept out of the way until the end, so any write would come from a read.
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
    const c = await alice.createRequest({ roles: ['dba'], requestTtl: '5h' });
    const seq = await t.adminClient.latestSeq();
    offsetMs = 2 * HOUR;

    // Every kind of read, by the requester, a reviewer and an admin, in every state filter.
    const shown = await alice.getRequest(a.id);
    expect(shown.state).toBe('EXPIRED');
    expect(shown.version).toBe(a.version + 1);
    expect((await bob.getRequest(b.id)).state).toBe('EXPIRED');
    for (const client of [alice, bob, t.adminClient]) {
      const all = await client.listRequests();
      expect(all.filter((r) => r.id !== c.id).map((r) => r.state)).toEqual(['EXPIRED', 'EXPIRED']);
      expect((await client.listRequests({ state: 'PENDING' })).map((r) => r.id)).toEqual([c.id]);
      for (const state of ['EXPIRED', 'APPROVED', 'DENIED'] as const) await client.listRequests({ state });
      await client.listRequestsPage({ state: 'PENDING', limit: 1 });
    }
    expect(await t.adminClient.latestSeq()).toBe(seq);
    expect((await t.api.store.getRequest(a.id))?.state).toBe('PENDING');
    expect((await t.api.store.getRequest(b.id))?.state).toBe('PENDING');

    // The backlog is on /metrics while it lasts.
    const metrics = await (await fetch(`${t.api.url}/metrics`)).text();
    expect(metrics).toContain('accessbot_api_expiry_backlog_requests 2');
    expect(metrics).toMatch(/accessbot_api_expiry_lag_seconds 36\d\d/);

    // A review is a write: it records the expiry (one event) and is refused.
    await expectRejectCode(bob.submitReview(a.id, { proposedState: 'APPROVED' }), 'REQUEST_EXPIRED');
    expect((await t.api.store.eventsSince(seq, 10)).map((e) => [e.request.id, e.request.state])).toEqual([
      [a.id, 'EXPIRED'],
    ]);

    // The sweeper expires the rest, and the backlog goes to 0.
    expect(await t.api.sweepExpired()).toBe(1);
    expect((await t.api.store.getRequest(b.id))?.state).toBe('EXPIRED');
    const after = await (await fetch(`${t.api.url}/metrics`)).text();
    expect(after).toContain('accessbot_api_expiry_backlog_requests 0');
    expect(after).toContain('accessbot_api_expiry_lag_seconds 0');
  });

  it('one sweep drains a backlog larger than a batch, one event per expiry', async () => {
    t = await startTestApi({
      rolesYaml: ALL_SEED_ROLES_YAML,
      users: [seedUsers.alice],
      now,
      expiryInterval: '24h',
    });
    const store = t.api.store;
    const alice = await t.clientFor('alice');
    const template = await alice.createRequest({ roles: ['dba'], requestTtl: '1h' });
    const { warnings: _w, ...base } = template;
    const count = EXPIRY_BATCH * 2 + 37;
    for (let n = 0; n < count; n++) await store.createRequest({ ...base, id: `bulk-${n}` });
    const seq = await store.latestSeq();
    offsetMs = 2 * HOUR;

    expect(await t.api.sweepExpired()).toBe(count + 1);
    const events = await store.eventsSince(seq, count + 10);
    expect(events).toHaveLength(count + 1);
    expect(new Set(events.map((e) => e.request.id)).size).toBe(count + 1);
    expect(events.every((e) => e.request.state === 'EXPIRED')).toBe(true);
    expect(await t.api.sweepExpired()).toBe(0);
  });

  it('the sweeper wakes when a new request falls due, long before its interval', async () => {
    t = await startTestApi({
      rolesYaml: ALL_SEED_ROLES_YAML,
      users: [seedUsers.alice],
      expiryInterval: '24h',
    });
    const alice = await t.clientFor('alice');
    const seq = await t.adminClient.latestSeq();
    const soon = await alice.createRequest({ roles: ['dba'], requestTtl: '1s' });
    const expired = await waitFor(async () => {
      const events = await t!.api.store.eventsSince(seq, 10);
      return events.find((e) => e.request.id === soon.id && e.request.state === 'EXPIRED');
    }, 'EXPIRED event');
    expect(Date.parse(expired.at)).toBeGreaterThanOrEqual(Date.parse(soon.requestExpires));
    // Seconds, not the 24 h interval (generous: the machine may be busy).
    expect(Date.parse(expired.at) - Date.parse(soon.requestExpires)).toBeLessThan(5000);
  });
});
