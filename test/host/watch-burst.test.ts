// The host carries bursts and reconnects cheaply. A burst of 10,000 events committed at once is
// followed on the one watch connection (no drop, no reconnect, the cursor reaches the end). A
// dropped stream resumes from the cursor without walking PENDING again; only a cursor the API
// no longer keeps (CURSOR_EXPIRED) brings the walk back. Real API, host, Redis and webhook
// receiver; what the host asks the API is read from the request log at the API's door (a
// 127.0.0.1 proxy that passes every call and can cut connections).

import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import { ensureServiceToken } from '../../src/api/server.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { type Config, configSchema } from '../../src/config/schema.js';
import { type RunningHost, startHost } from '../../src/host/index.js';
import { createLogger } from '../../src/log.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { testRedisOptions, waitFor } from '../support/stack.js';
import { HOST_ROLES, HOST_USERS } from './fixtures.js';
import { startWatchCuttingProxy, type WatchCuttingProxy } from './watch-cutting-proxy.js';

const SECRET = 'watch-burst-secret-0123456789';
const BURST = 10_000;

let api: TestApi;
let receiver: Receiver;
let proxy: WatchCuttingProxy;
let host: RunningHost | undefined;
let startOurHost: () => Promise<RunningHost>;
let config: Config;
let redis: Redis;
const lines: Record<string, unknown>[] = [];

const pendingWalks = () => proxy.requests().filter((r) => /^GET \/v1\/requests\?.*state=PENDING/.test(r));
const watchOpens = () => proxy.requests().filter((r) => r.startsWith('GET /v1/watch'));
const dropLines = () => lines.filter((l) => /watch stream dropped|watch failed/.test(String(l.msg)));
const cursor = async () => Number(await redis.get(`${config.host.redis.prefix}:watch:cursor`));
const posts = (id: string) =>
  receiver.deliveries().filter((d) => d.requestId === id && d.event === 'request.posted');

beforeAll(async () => {
  // A reader that takes nothing for 10 s is dropped (60 s in production): the host must never
  // stop reading that long while it routes a burst.
  api = await startTestApi({
    rolesYaml: HOST_ROLES,
    users: HOST_USERS,
    watchTiming: { stallTimeoutMs: 10_000 },
  });
  receiver = await startReceiver({ secret: SECRET });
  proxy = await startWatchCuttingProxy(Number(new URL(api.api.url).port));
  redis = new Redis(testRedisOptions());
  const client = new HttpAccessClient({
    baseUrl: proxy.url,
    token: await ensureServiceToken(api.api.store, 'accessbot-host', ['accessbot-plugin']),
  });
  config = configSchema.parse({
    host: {
      listen: '127.0.0.1:0',
      redis: { prefix: `burst${Date.now()}` },
      // Only `dba` is delivered: the burst (dev-web) is routed, but costs no 10,000 webhook posts.
      routing: [{ roles: ['dba'], targets: { webhook: [receiver.urlFor('ops')] } }],
    },
    plugins: { webhook: { secret: SECRET } },
  });
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  startOurHost = () =>
    startHost({
      config,
      client,
      log: createLogger({ level: 'info', destination }),
      redis: testRedisOptions(),
    });
  host = await startOurHost();
  await waitFor(() => lines.some((l) => l.msg === 'reconciled pending requests'), 30_000, 'first reconcile');
}, 60_000);

afterAll(async () => {
  await host?.close();
  redis?.disconnect();
  await proxy?.close();
  await receiver?.stop();
  await api?.stop();
});

it('follows a burst of 10,000 events committed at once on its one stream: no drop, no reconnect', {
  timeout: 240_000,
}, async () => {
  const alice = await api.clientFor('alice');
  const template: AccessRequest = await alice.createRequest({ roles: ['dev-web'], reason: 'burst template' });
  const opensBefore = watchOpens().length;
  expect(opensBefore).toBe(1);

  // All started before any is awaited: the store commits them back to back, so the events
  // reach the stream as one burst rather than one per turn of the event loop.
  const commits: Promise<unknown>[] = [];
  for (let i = 0; i < BURST; i++) {
    commits.push(
      api.api.store.createRequest({
        ...template,
        id: randomUUID(),
        reason: `burst ${i} ${'x'.repeat(200)}`,
        created: new Date().toISOString(),
      }),
    );
  }
  await Promise.all(commits);
  const latest = await api.adminClient.latestSeq();
  await waitFor(async () => (await cursor()) >= latest, 180_000, `the host's cursor to reach ${latest}`);

  expect(dropLines()).toEqual([]);
  expect(watchOpens()).toHaveLength(opensBefore);
  // And it is still following: a request after the burst is posted.
  const after = await alice.createRequest({ roles: ['dba'], reason: 'after the burst' });
  await waitFor(() => posts(after.id).length === 1, 30_000, 'post of the request after the burst');
});

it('resumes a dropped stream from its cursor without walking PENDING again', {
  timeout: 60_000,
}, async () => {
  // The start walked PENDING once: the request log sees walks.
  const walksBefore = pendingWalks().length;
  expect(walksBefore).toBeGreaterThanOrEqual(1);
  const opensBefore = watchOpens().length;

  proxy.cutAll();
  await waitFor(() => dropLines().length >= 1, 20_000, 'the host to see its stream dropped');
  await waitFor(() => watchOpens().length > opensBefore, 20_000, 'the host to reopen its stream');
  const alice = await api.clientFor('alice');
  const after = await alice.createRequest({ roles: ['dba'], reason: 'after the reconnect' });
  await waitFor(() => posts(after.id).length === 1, 30_000, 'post of a request after the reconnect');
  await new Promise((r) => setTimeout(r, 500));

  expect(pendingWalks()).toHaveLength(walksBefore);
});

it('walks PENDING again when its cursor expired (CURSOR_EXPIRED), and only then', {
  timeout: 90_000,
}, async () => {
  const walksBefore = pendingWalks().length;
  const alice = await api.clientFor('alice');
  // Every stream is cut before an event passes, so the host's cursor stays behind...
  proxy.cutWatches(true);
  proxy.cutAll();
  const missed = await alice.createRequest({ roles: ['dba'], reason: 'pending while the stream was cut' });
  // ...and the API prunes the events after it: its cursor has expired.
  expect(await api.api.store.pruneEventsBefore(new Date(Date.now() + 1000))).toBeGreaterThan(0);
  await alice.createRequest({ roles: ['dev-web'], reason: 'an event after the pruned ones' });
  proxy.cutWatches(false);

  await waitFor(() => posts(missed.id).length === 1, 60_000, 'the missed request, found by the walk');
  expect(pendingWalks().length).toBeGreaterThan(walksBefore);
  expect(lines.some((l) => /older than the API keeps events/.test(String(l.msg)))).toBe(true);
});

it('starts over from the latest event, walking PENDING, when its cursor is beyond the end of the API’s log', {
  timeout: 90_000,
}, async () => {
  await host?.close();
  host = undefined;
  const alice = await api.clientFor('alice');
  const pending = await alice.createRequest({ roles: ['dba'], reason: 'pending while no host ran' });
  // As after the API's database was restored from an older backup: the cursor is past its end.
  const latest = await api.adminClient.latestSeq();
  await redis.set(`${config.host.redis.prefix}:watch:cursor`, String(latest + 1000));
  const walksBefore = pendingWalks().length;

  host = await startOurHost();
  await waitFor(() => posts(pending.id).length === 1, 30_000, 'the pending request, found by the walk');
  expect(pendingWalks().length).toBeGreaterThan(walksBefore);
  await waitFor(async () => (await cursor()) === latest, 10_000, 'the cursor back at the latest event');
  expect(lines.some((l) => /beyond the end of the API/.test(String(l.msg)))).toBe(true);
  // And it follows the stream from there.
  const later = await alice.createRequest({ roles: ['dba'], reason: 'after the restart' });
  await waitFor(() => posts(later.id).length === 1, 30_000, 'a new request, by the stream');
  expect(await cursor()).toBeGreaterThan(latest);
});
