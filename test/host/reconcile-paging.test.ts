// A host starting with more PENDING requests than one page (1,200; the reconcile reads 500
// at a time) posts every one of them exactly once, including requests created while it is
// still paging, and posts nothing for requests that were already resolved. Started again over
// the same requests, it re-routes them all and sends (or even queues) only what changed.

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import { ensureServiceToken } from '../../src/api/server.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { configSchema } from '../../src/config/schema.js';
import { type RunningHost, startHost } from '../../src/host/index.js';
import { createLogger } from '../../src/log.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { testRedisOptions, waitFor } from '../support/stack.js';
import { HOST_ROLES, HOST_USERS } from './fixtures.js';

const SECRET = 'reconcile-paging-secret-0123456789';
const PENDING = 1200;
let api: TestApi;
let receiver: Receiver;
let host: RunningHost | undefined;
let hostConfig: ReturnType<typeof configSchema.parse>;
let hostClient: HttpAccessClient;
let firstPending: AccessRequest | undefined;

beforeAll(async () => {
  api = await startTestApi({ rolesYaml: HOST_ROLES, users: HOST_USERS });
  receiver = await startReceiver({ secret: SECRET });
});

afterAll(async () => {
  await host?.close();
  await receiver?.stop();
  await api?.stop();
});

const startAgain = () =>
  startHost({
    config: hostConfig,
    client: hostClient,
    log: createLogger({ level: 'silent' }),
    redis: testRedisOptions(),
  });

/** One counter of the host's /metrics, summed over the series whose labels include `labels`. */
async function counter(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${host!.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

async function createMany(count: number, reason: string): Promise<AccessRequest[]> {
  const alice = await api.clientFor('alice');
  const out: AccessRequest[] = [];
  for (let i = 0; i < count; i += 20) {
    const n = Math.min(20, count - i);
    out.push(
      ...(await Promise.all(
        Array.from({ length: n }, (_, k) =>
          alice.createRequest({ roles: ['dba'], reason: `${reason} ${i + k}` }),
        ),
      )),
    );
  }
  return out;
}

it('posts each of 1,200 pending requests once, across pages, and nothing for resolved ones', async () => {
  const bob = await api.clientFor('bob');
  const resolved = await createMany(30, 'resolved before the host starts');
  for (const r of resolved) await bob.submitReview(r.id, { proposedState: 'DENIED', reason: 'no' });
  const pending = await createMany(PENDING, 'pending at host start');
  firstPending = pending[0];

  hostConfig = configSchema.parse({
    host: {
      listen: '127.0.0.1:0',
      redis: { prefix: `recpage${Date.now()}` },
      routing: [{ roles: ['*'], targets: { webhook: [receiver.urlFor('ops')] } }],
    },
    plugins: { webhook: { secret: SECRET } },
  });
  hostClient = new HttpAccessClient({
    baseUrl: api.api.url,
    token: await ensureServiceToken(api.api.store, 'accessbot-host', ['accessbot-plugin']),
  });
  host = await startAgain();
  // Created while the reconcile is (most likely) still paging: they reach the host by the
  // stream and, if paging gets that far, by the reconcile too; still one post each.
  const duringReconcile = await createMany(40, 'created while reconciling');

  const expected = [...pending, ...duringReconcile];
  const postsPerRequest = () => {
    const counts = new Map<string, number>();
    for (const d of receiver.deliveries()) {
      if (d.event === 'request.posted') counts.set(d.requestId, (counts.get(d.requestId) ?? 0) + 1);
    }
    return counts;
  };
  await waitFor(
    () => {
      const counts = postsPerRequest();
      return expected.every((r) => counts.has(r.id));
    },
    180_000,
    'a post for every pending request',
  );
  // Late duplicates would arrive within moments of the rest; give them time to show up.
  await new Promise((r) => setTimeout(r, 1500));
  const counts = postsPerRequest();
  expect(expected.filter((r) => counts.get(r.id) !== 1).map((r) => [r.id, counts.get(r.id)])).toEqual([]);
  expect(resolved.filter((r) => counts.has(r.id))).toEqual([]);
  expect(counts.size).toBe(expected.length);
}, 300_000);

it('re-routes all after a restart, sending only what changed while it was down', async () => {
  const before = receiver.deliveries().length;
  await host!.close();
  // Resolving the first pending request shifts every reconcile page, so no batch matches one
  // already run: all 1,239 still pending are routed again.
  const denied = firstPending!;
  await (await api.clientFor('bob')).submitReview(denied.id, { proposedState: 'DENIED', reason: 'no' });
  host = await startAgain();
  await waitFor(async () => (await fetch(`${host!.url}/readyz`)).status === 200, 60_000, 'reconciled');
  await waitFor(
    async () =>
      (await counter('accessbot_deliveries_total', 'op="route')) >= Math.ceil(1239 / 32) &&
      (await counter('accessbot_queue_depth', 'state="waiting"')) === 0 &&
      (await counter('accessbot_queue_depth', 'state="active"')) === 0,
    60_000,
    'the reconcile routed',
  );
  await waitFor(() => receiver.latest(denied.id, '/ops')?.state === 'DENIED', 20_000, 'the denial shown');
  await new Promise((r) => setTimeout(r, 500));
  // One update (the denial); no post, and no update job even queued for the 1,239 up to date.
  expect(
    receiver
      .deliveries()
      .slice(before)
      .map((d) => [d.requestId, d.event]),
  ).toEqual([[denied.id, 'request.updated']]);
  expect(await counter('accessbot_deliveries_total', 'op="post"')).toBe(0);
  expect(await counter('accessbot_deliveries_total', 'op="update"')).toBe(1);
}, 120_000);
