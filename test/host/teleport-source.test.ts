// The Teleport source against the fake auth service over mTLS: what the host receives on the
// watch (new, reviewed, approved, denied, expired, withdrawn), reviews as the person or as the
// plugin, the identity file renewed on disk, and a client certificate from another CA.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RequestEvent } from '../../src/access/types.js';
import { AuthConnection } from '../../src/host/source/teleport/auth-connection.js';
import { TeleportSource } from '../../src/host/source/teleport/teleport-source.js';
import { createLogger } from '../../src/log.js';
import { PLUGIN_USER, startTestCluster, type TestCluster } from '../fakes/teleport/teleport-cluster.js';
import { waitFor } from '../support/stack.js';

const log = createLogger({ level: 'silent' });
const USERS = ['rita', 'alice', 'bob', 'nora'];
const POLICIES = {
  dba: { reviewers: ['alice', 'bob'] },
  'prod-db': { reviewers: ['alice', 'bob'], approve: 2 },
};

async function sourceFor(cluster: TestCluster, identityFile = cluster.identityFile, reloadIntervalMs = 100) {
  const connection = await AuthConnection.open({
    address: cluster.auth.address,
    identityFile,
    reloadIntervalMs,
    connectTimeoutMs: 5_000,
    log,
  });
  const source = new TeleportSource({
    connection,
    log,
    timeoutMs: 5_000,
    initTimeoutMs: 5_000,
    reviewAs: 'auto',
  });
  return { source, connection };
}

/** Follows the source's watch, collecting events, until stopped. */
function follow(source: TeleportSource, since = 0) {
  const events: RequestEvent[] = [];
  let reconnects = 0;
  const abort = new AbortController();
  const done = source.watch({
    since,
    signal: abort.signal,
    onEvent: (e) => {
      events.push(e);
    },
    onReconnect: () => {
      reconnects++;
    },
  });
  return {
    events,
    reconnects: () => reconnects,
    latest: (id: string) => events.filter((e) => e.request.id === id).at(-1),
    async stop() {
      abort.abort();
      await done;
    },
  };
}

describe('Teleport source (fake auth service, mTLS)', () => {
  let cluster: TestCluster;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster({ users: USERS, policies: POLICIES, reviewForOthers: true });
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  afterAll(async () => cluster?.stop());

  it('hands over new, reviewed, approved, denied, expired and withdrawn requests, with card fields unchanged', async () => {
    const { source, connection } = await sourceFor(cluster);
    const w = follow(source);
    closers.push(
      () => connection.close(),
      () => w.stop(),
    );
    await waitFor(() => cluster.auth.openWatches > 0, 5_000, 'a watch');

    const slow = cluster.auth.createRequest({
      user: 'rita',
      roles: ['prod-db'],
      reason: 'migrate <b>orders</b>',
      suggestedReviewers: ['alice'],
      annotations: { pagerduty_services: ['db-oncall'] },
      resources: [{ ClusterName: 'prod', Kind: 'node', Name: 'db-1' }],
    });
    const first = await waitFor(() => w.latest(slow), 5_000, 'the new request');
    expect(first.type).toBe('put');
    expect(first.request).toMatchObject({
      id: slow,
      user: 'rita',
      roles: ['prod-db'],
      reason: 'migrate <b>orders</b>',
      suggestedReviewers: ['alice'],
      annotations: { pagerduty_services: ['db-oncall'] },
      resources: ['/prod/node/db-1'],
      thresholds: [{ name: 'default', approve: 2, deny: 1 }],
      roleThresholds: { 'prod-db': [0] },
      state: 'PENDING',
      version: 1,
    });

    cluster.auth.reviewAsUser('alice', slow, 'APPROVED', 'ok');
    await waitFor(() => w.latest(slow)?.request.version === 2, 5_000, 'the first review');
    expect(w.latest(slow)!.request).toMatchObject({
      state: 'PENDING',
      reviews: [{ author: 'alice', reason: 'ok' }],
    });
    cluster.auth.reviewAsUser('bob', slow, 'APPROVED', 'fine');
    await waitFor(() => w.latest(slow)?.request.state === 'APPROVED', 5_000, 'the approval');
    expect(w.latest(slow)!.request).toMatchObject({
      version: 4,
      resolvedBy: 'bob',
      approvedRoles: ['prod-db'],
    });

    const denied = cluster.auth.createRequest({ user: 'rita', roles: ['dba'] });
    await waitFor(() => w.latest(denied), 5_000, 'the second request');
    cluster.auth.reviewAsUser('bob', denied, 'DENIED', 'no');
    await waitFor(() => w.latest(denied)?.request.state === 'DENIED', 5_000, 'the denial');

    const expiring = cluster.auth.createRequest({ user: 'rita', roles: ['dba'], ttlMs: 600 });
    await waitFor(() => w.latest(expiring), 5_000, 'the short-lived request');
    const expired = await waitFor(
      () => (w.latest(expiring)?.request.state === 'EXPIRED' ? w.latest(expiring) : undefined),
      5_000,
      'the expiry',
    );
    expect(expired.type).toBe('put');
    expect(expired.request.version).toBe(2);

    const withdrawn = cluster.auth.createRequest({ user: 'rita', roles: ['dba'] });
    await waitFor(() => w.latest(withdrawn), 5_000, 'the request to withdraw');
    cluster.auth.deleteRequest(withdrawn);
    const gone = await waitFor(
      () => (w.latest(withdrawn)?.type === 'delete' ? w.latest(withdrawn) : undefined),
      5_000,
      'the withdrawal',
    );
    expect(gone.request).toMatchObject({ id: withdrawn, state: 'PENDING', user: 'rita' });
    // Cursor positions only grow.
    const seqs = w.events.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('a review by a mapped person reaches the cluster authored by them, with the proposed state', async () => {
    const { source, connection } = await sourceFor(cluster);
    closers.push(() => connection.close());
    expect(await source.reviewMode()).toBe('person');
    const id = cluster.auth.createRequest({ user: 'rita', roles: ['dba'] });
    const after = await source.submitReview(id, {
      proposedState: 'DENIED',
      reason: 'not today',
      author: 'alice',
    });
    expect(after).toMatchObject({ state: 'DENIED', reviews: [{ author: 'alice', proposedState: 'DENIED' }] });
    const sent = cluster.auth.submissions.filter((s) => s.requestId === id);
    expect(sent).toEqual([
      {
        caller: PLUGIN_USER,
        author: 'alice',
        requestId: id,
        proposedState: 'DENIED',
        reason: 'not today',
        outcome: 'ok',
      },
    ]);
    // The cluster's refusals come back as the host's outcomes.
    const other = cluster.auth.createRequest({ user: 'rita', roles: ['dba'] });
    await expect(
      source.submitReview(other, { proposedState: 'APPROVED', author: 'rita' }),
    ).rejects.toMatchObject({
      code: 'SELF_REVIEW',
    });
    await expect(
      source.submitReview(other, { proposedState: 'APPROVED', author: 'nora' }),
    ).rejects.toMatchObject({
      code: 'REVIEW_NOT_ALLOWED',
    });
    await expect(
      source.submitReview(other, { proposedState: 'APPROVED', author: 'ghost' }),
    ).rejects.toMatchObject({
      code: 'USER_NOT_FOUND',
    });
    await expect(source.submitReview(id, { proposedState: 'APPROVED', author: 'bob' })).rejects.toMatchObject(
      {
        code: 'REQUEST_RESOLVED',
      },
    );
    await expect(
      source.submitReview('no-such', { proposedState: 'APPROVED', author: 'bob' }),
    ).rejects.toMatchObject({
      code: 'REQUEST_NOT_FOUND',
    });
  });

  it('a cluster that refuses reviews for others gets them as the plugin, the person named in the reason', async () => {
    const strict = await startTestCluster({ users: USERS, policies: POLICIES, reviewForOthers: false });
    const { source, connection } = await sourceFor(strict);
    closers.push(
      () => strict.stop(),
      () => connection.close(),
    );
    expect(await source.reviewMode()).toBe('plugin');
    const id = strict.auth.createRequest({ user: 'rita', roles: ['dba'] });
    const after = await source.submitReview(id, { proposedState: 'APPROVED', reason: 'ok', author: 'alice' });
    expect(after.state).toBe('APPROVED');
    expect(after.reviews[0]).toMatchObject({
      author: PLUGIN_USER,
      reason: 'alice (through accessbot): ok',
      annotations: { 'accessbot/reviewer': ['alice'] },
    });
    expect(strict.auth.submissions.filter((s) => s.requestId === id).map((s) => s.author)).toEqual([
      PLUGIN_USER,
    ]);
  });

  it('the stream dropped mid-burst and back: every request arrives, in its newest state, none lost', async () => {
    const { source, connection } = await sourceFor(cluster);
    const w = follow(source);
    closers.push(
      () => connection.close(),
      () => w.stop(),
    );
    await waitFor(() => cluster.auth.openWatches > 0, 5_000, 'a watch');
    const opened = cluster.auth.watchesOpened;
    cluster.auth.dropWatchesAfter(15);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++)
      ids.push(cluster.auth.createRequest({ user: 'rita', roles: ['dba'], reason: `burst ${i}` }));
    // While the watch is away, some are decided and one it had seen is withdrawn.
    for (const id of ids.slice(0, 5)) cluster.auth.reviewAsUser('alice', id, 'APPROVED', 'burst ok');
    cluster.auth.deleteRequest(ids[10]!);
    const stillPending = ids.filter((_, i) => i >= 5 && i !== 10);
    await waitFor(() => cluster.auth.watchesOpened > opened, 10_000, 'the watch to come back');
    await waitFor(
      () =>
        ids.slice(0, 5).every((id) => w.latest(id)?.request.state === 'APPROVED') &&
        stillPending.every((id) => w.latest(id)?.request.state === 'PENDING') &&
        w.latest(ids[10]!)?.type === 'delete',
      10_000,
      'every request in its newest state',
    );
    expect(w.reconnects()).toBeGreaterThanOrEqual(1);
    // A version is never handed over after a newer one of the same request.
    for (const id of ids) {
      const versions = w.events.filter((e) => e.request.id === id).map((e) => e.request.version);
      expect(Math.max(...versions)).toBe(versions.at(-1));
    }
  });

  it('a first start leaves history alone; a host that ran before gets what was decided while it was down', async () => {
    const old = cluster.auth.createRequest({
      user: 'rita',
      roles: ['dba'],
      createdAt: Date.now() - 7_200_000,
    });
    cluster.auth.reviewAsUser('alice', old, 'APPROVED', 'long ago');
    const first = await sourceFor(cluster);
    const fresh = follow(first.source, 0);
    const pending = cluster.auth.createRequest({
      user: 'rita',
      roles: ['dba'],
      createdAt: Date.now() - 7_200_000,
    });
    const restarted = await sourceFor(cluster);
    const resumed = follow(restarted.source, 1);
    closers.push(
      () => first.connection.close(),
      () => fresh.stop(),
      () => restarted.connection.close(),
      () => resumed.stop(),
    );
    await waitFor(
      () => fresh.latest(pending) && resumed.latest(old) && resumed.latest(pending),
      5_000,
      'the catch-ups',
    );
    expect(fresh.latest(old), 'a first start posts no history').toBeUndefined();
    expect(resumed.latest(old)!.request.state).toBe('APPROVED');
  });

  it('an identity file replaced on disk: a new connection with the new certificate, and the watch goes on', async () => {
    const { source, connection } = await sourceFor(cluster);
    const w = follow(source);
    closers.push(
      () => connection.close(),
      () => w.stop(),
    );
    await waitFor(() => cluster.auth.openWatches > 0, 5_000, 'a watch');
    const before = connection.identity.fingerprint;
    const calls = cluster.auth.callers.length;
    await cluster.renewIdentity();
    await waitFor(() => connection.identity.fingerprint !== before, 5_000, 'the renewed identity');
    const id = cluster.auth.createRequest({ user: 'rita', roles: ['dba'], reason: 'after renewal' });
    await waitFor(() => w.latest(id), 5_000, 'the request after the renewal');
    await source.ping();
    const later = cluster.auth.callers.slice(calls);
    expect(
      later.some((c) => c.method === 'WatchEvents' && c.fingerprint === connection.identity.fingerprint),
    ).toBe(true);
    expect(later.filter((c) => c.method === 'Ping').map((c) => c.fingerprint)).toEqual([
      connection.identity.fingerprint,
    ]);
    expect(later.every((c) => c.cn === PLUGIN_USER)).toBe(true);
  });

  it('a client certificate from another CA is refused', async () => {
    const foreign = await cluster.foreignIdentity(PLUGIN_USER);
    const { source, connection } = await sourceFor(cluster, foreign);
    closers.push(() => connection.close());
    const calls = cluster.auth.callers.length;
    await expect(source.ping()).rejects.toMatchObject({ code: 'API_UNAVAILABLE' });
    expect(cluster.auth.callers.length).toBe(calls);
  });

  it('an identity file without a certificate is a one-line config error', async () => {
    const { writeFile } = await import('node:fs/promises');
    const path = `${cluster.dir}/broken-identity`;
    await writeFile(path, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    await expect(
      AuthConnection.open({
        address: cluster.auth.address,
        identityFile: path,
        reloadIntervalMs: 1000,
        connectTimeoutMs: 1000,
        log,
      }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('tctl auth sign') });
  });
});
