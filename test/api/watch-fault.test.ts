// Watch under fire: a consumer follows the stream through a proxy that is cut at random
// moments (whole connections, and mid-frame) while a burst of creates and reviews is
// written. The consumer must end with every event exactly once, in order, equal to the log.

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RequestEvent } from '../../src/access/types.js';
import { ensureServiceToken } from '../../src/api/server.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { ALL_SEED_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { waitFor } from './helpers.js';
import { type CuttableProxy, startCuttableProxy } from './tcp-proxy.js';

const REQUESTS = 160; // each is a create and an approval: 320 events
const MIN_CUTS = 10;

let t: TestApi;
let proxy: CuttableProxy;

beforeAll(async () => {
  t = await startTestApi({ rolesYaml: ALL_SEED_ROLES_YAML, users: [seedUsers.alice, seedUsers.bob] });
  proxy = await startCuttableProxy(t.api.port);
});

afterAll(async () => {
  await proxy?.close();
  await t?.stop();
});

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('delivers every event exactly once and in order across ≥10 random cuts', async () => {
  const alice = await t.clientFor('alice');
  const bob = await t.clientFor('bob');
  const hostToken = await ensureServiceToken(t.api.store, 'accessbot-host', ['accessbot-plugin']);
  const consumer = new HttpAccessClient({ baseUrl: proxy.url, token: hostToken, timeoutMs: 10_000 });

  const received: RequestEvent[] = [];
  let reconnects = 0;
  const abort = new AbortController();
  const watching = consumer.watch({
    since: 0,
    signal: abort.signal,
    onEvent: async (event) => {
      received.push(event);
      // An occasionally slow consumer, so cuts also land while the client is busy.
      if (Math.random() < 0.05) await sleep(5);
    },
    onReconnect: () => {
      reconnects++;
    },
  });

  let producing = true;
  let round = 0;
  const cutter = (async () => {
    while (producing || proxy.cutsDone() < MIN_CUTS) {
      await sleep(10 + Math.random() * 60);
      if (proxy.liveConnections() === 0) continue;
      if (round++ % 2 === 0) proxy.cutMidChunk();
      else proxy.cut();
    }
  })();

  const ids: string[] = [];
  await pool(
    Array.from({ length: REQUESTS }, (_, i) => i),
    8,
    async (i) => {
      const r = await alice.createRequest({ roles: ['dba'], reason: `burst ${i}` });
      ids.push(r.id);
      await bob.submitReview(r.id, { proposedState: 'APPROVED', reason: `ok ${i}` });
    },
  );
  producing = false;
  await cutter;

  const latest = await t.adminClient.latestSeq();
  expect(latest).toBeGreaterThanOrEqual(2 * REQUESTS);
  await waitFor(() => (received.at(-1)?.seq === latest ? true : undefined), 'consumer to catch up', 30_000);
  abort.abort();
  await watching;

  const log = await t.api.store.eventsSince(0, 100_000);
  expect(received.map((e) => e.seq)).toEqual(log.map((e) => e.seq));
  expect(received).toEqual(log);
  const approved = received.filter((e) => e.request.state === 'APPROVED').map((e) => e.request.id);
  expect(new Set(approved)).toEqual(new Set(ids));
  expect(proxy.cutsDone()).toBeGreaterThanOrEqual(MIN_CUTS);
  // Every cut killed the live watch connection, so the client had to resume each time.
  expect(reconnects).toBeGreaterThanOrEqual(MIN_CUTS);
}, 120_000);
