// Nothing is missed while no host runs: on start the host resumes the API's event stream
// from the cursor it kept in Redis (posts, updates, requests resolved while it was down), and
// when the cursor itself is gone it still finds every PENDING request by reconciling.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningHost } from '../../src/host/index.js';
import { testRedisOptions, waitFor } from '../support/stack.js';
import { type RestartableWorld, startRestartableWorld } from './restartable-world.js';

const SECRET = 'resume-test-secret-0123456789';
let world: RestartableWorld;
let host: RunningHost | undefined;
const posts = (id: string) =>
  world.receiver.deliveries().filter((d) => d.requestId === id && d.event === 'request.posted');

beforeAll(async () => {
  world = await startRestartableWorld({ secret: SECRET, prefix: 'resume' });
});

afterAll(async () => {
  await host?.close();
  await world?.stop();
});

it('catches up on everything that happened while it was down', async () => {
  const alice = await world.api.clientFor('alice');
  const bob = await world.api.clientFor('bob');
  host = await world.startHost();
  const first = await alice.createRequest({ roles: ['dba'], reason: 'before the outage' });
  await waitFor(() => posts(first.id).length === 1, 20_000, 'first post');
  await host.close();
  host = undefined;

  // While down: a new request, a review that resolves the first one, and a request that is
  // created and resolved before any host sees it.
  const second = await alice.createRequest({ roles: ['dba'], reason: 'during the outage' });
  await bob.submitReview(first.id, { proposedState: 'APPROVED', reason: 'ok' });
  const third = await alice.createRequest({ roles: ['dev-web'], reason: 'short-lived' });
  await bob.submitReview(third.id, { proposedState: 'DENIED', reason: 'no' });

  host = await world.startHost();
  await waitFor(() => posts(second.id).length === 1, 20_000, 'post of the request created while down');
  await waitFor(
    () => world.receiver.latest(first.id, '/ops')?.state === 'APPROVED',
    20_000,
    'update of the first',
  );
  const thirdCard = await waitFor(
    () => world.receiver.latest(third.id, '/ops'),
    20_000,
    'the resolved request',
  );
  expect(thirdCard.state).toBe('DENIED');
  await new Promise((r) => setTimeout(r, 1000));
  expect(posts(first.id)).toHaveLength(1);
  expect(posts(second.id)).toHaveLength(1);
  expect(posts(third.id)).toHaveLength(1);
});

it('reconciles PENDING requests when the cursor is lost', async () => {
  await host?.close();
  host = undefined;
  const alice = await world.api.clientFor('alice');
  const pending = await alice.createRequest({ roles: ['dba'], reason: 'cursor lost' });
  const redis = new Redis(testRedisOptions());
  try {
    expect(await redis.del(`${world.config.host.redis.prefix}:watch:cursor`)).toBe(1);
  } finally {
    redis.disconnect();
  }
  host = await world.startHost();
  await waitFor(() => posts(pending.id).length === 1, 20_000, 'post found by reconciling');
});

it('starts over from the latest event when the API pruned what it missed, and keeps following', async () => {
  await host?.close();
  host = undefined;
  const alice = await world.api.clientFor('alice');
  const bob = await world.api.clientFor('bob');
  const waiting = await alice.createRequest({ roles: ['dba'], reason: 'pending across the gap' });
  const gone = await alice.createRequest({ roles: ['dba'], reason: 'resolved inside the gap' });
  await bob.submitReview(gone.id, { proposedState: 'DENIED', reason: 'no' });
  // The host was down longer than the API keeps events: everything it missed is pruned.
  expect(await world.api.api.store.pruneEventsBefore(new Date(Date.now() + 1000))).toBeGreaterThan(0);

  host = await world.startHost();
  await waitFor(() => posts(waiting.id).length === 1, 20_000, 'the pending request, by reconciling');
  const later = await alice.createRequest({ roles: ['dba'], reason: 'after the restart' });
  await waitFor(() => posts(later.id).length === 1, 20_000, 'a new request, by the stream');
  await bob.submitReview(later.id, { proposedState: 'APPROVED', reason: 'ok' });
  await waitFor(() => world.receiver.latest(later.id, '/ops')?.state === 'APPROVED', 20_000, 'its update');
  // The watcher is caught up (lag 0), not stuck retrying the pruned cursor.
  const metrics = await (await fetch(`${host.url}/metrics`)).text();
  expect(metrics).toMatch(/^accessbot_watcher_lag_events 0$/m);
  // Never posted: it was resolved before this host could see it, and its events are gone.
  expect(posts(gone.id)).toHaveLength(0);
});
