// A host whose watch stream keeps failing while the API has events it has not seen (the
// stream opens and is cut before one event gets through, again and again) is not ready: its
// /readyz says so and why, and its log says so once, not once per reconnect. When the stream
// carries events again it is ready again. An idle stream cut as often is no stall. Real API, host, Redis and webhook receiver; the
// host reaches the API through a proxy that cuts its watch streams.

import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureServiceToken } from '../../src/api/server.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { configSchema } from '../../src/config/schema.js';
import { type RunningHost, startHost } from '../../src/host/index.js';
import { createLogger } from '../../src/log.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { testRedisOptions, waitFor } from '../support/stack.js';
import { HOST_ROLES, HOST_USERS } from './fixtures.js';
import { startWatchCuttingProxy, type WatchCuttingProxy } from './watch-cutting-proxy.js';

const SECRET = 'watch-stall-secret-0123456789';

let api: TestApi;
let receiver: Receiver;
let proxy: WatchCuttingProxy;
let host: RunningHost;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  api = await startTestApi({ rolesYaml: HOST_ROLES, users: HOST_USERS });
  receiver = await startReceiver({ secret: SECRET });
  proxy = await startWatchCuttingProxy(Number(new URL(api.api.url).port));
  const client = new HttpAccessClient({
    baseUrl: proxy.url,
    token: await ensureServiceToken(api.api.store, 'accessbot-host', ['accessbot-plugin']),
  });
  const config = configSchema.parse({
    host: {
      listen: '127.0.0.1:0',
      redis: { prefix: `stall${Date.now()}` },
      routing: [{ roles: ['*'], targets: { webhook: [receiver.urlFor('ops')] } }],
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
  host = await startHost({
    config,
    client,
    log: createLogger({ level: 'info', destination }),
    redis: testRedisOptions(),
  });
}, 60_000);

afterAll(async () => {
  await host?.close();
  await proxy?.close();
  await receiver?.stop();
  await api?.stop();
});

async function readiness(): Promise<{ status: number; checks: Record<string, string> }> {
  const res = await fetch(`${host.url}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, checks: ((await res.json()) as { checks: Record<string, string> }).checks };
}

const stallLines = () => lines.filter((l) => /no progress/.test(String(l.msg)));
const recoveryLines = () => lines.filter((l) => /progress again/.test(String(l.msg)));

it('stays ready while an idle stream is cut again and again (nothing to deliver is no stall)', {
  timeout: 120_000,
}, async () => {
  await waitFor(async () => (await readiness()).status === 200, 30_000, 'ready at start');
  const before = proxy.watchesCut();
  proxy.cutWatches(true);
  proxy.cutAll();
  await waitFor(() => proxy.watchesCut() >= before + 7, 60_000, 'seven cut streams');
  expect(await readiness()).toMatchObject({ status: 200, checks: { watcher: 'ok' } });
  expect(stallLines()).toHaveLength(0);
  proxy.cutWatches(false);
});

it('reports not ready, once in the log, while its watch reconnects without moving; ready again after', {
  timeout: 120_000,
}, async () => {
  await waitFor(async () => (await readiness()).status === 200, 30_000, 'ready');
  proxy.cutWatches(true);
  proxy.cutAll();
  const alice = await api.clientFor('alice');
  const created = [];
  for (let i = 0; i < 5; i++)
    created.push(await alice.createRequest({ roles: ['dba'], reason: `while the stream is cut ${i}` }));

  const stalled = await waitFor(
    async () => {
      const r = await readiness();
      return r.status === 503 ? r : undefined;
    },
    60_000,
    'not ready while the watch makes no progress',
  );
  expect(stalled.checks.watcher).toMatch(/no progress/);
  expect(stalled.checks.watcher).toMatch(/reconnect/);
  // The reason names where the host is stuck and how far the API is.
  expect(stalled.checks.watcher).toMatch(/cursor \d+/);
  expect(stalled.checks.redis).toBe('ok');
  const metrics = await (await fetch(`${host.url}/metrics`)).text();
  expect(metrics).toMatch(/^accessbot_watch_stalled 1$/m);

  // More reconnects without progress: still one line in the log.
  const cutsAtStall = proxy.watchesCut();
  await waitFor(() => proxy.watchesCut() >= cutsAtStall + 3, 60_000, 'three more cut streams');
  expect((await readiness()).status).toBe(503);
  expect(stallLines()).toHaveLength(1);
  expect(stallLines()[0]).toMatchObject({ level: 40 });
  // Nor a line per further drop.
  const afterStall = lines.slice(lines.indexOf(stallLines()[0]!) + 1);
  expect(afterStall.filter((l) => /watch stream dropped/.test(String(l.msg)))).toEqual([]);
  expect(String(stallLines()[0]!.msg)).toMatch(/no progress/);

  proxy.cutWatches(false);
  await waitFor(async () => (await readiness()).status === 200, 60_000, 'ready once the stream flows');
  expect((await readiness()).checks.watcher).toBe('ok');
  expect(await (await fetch(`${host.url}/metrics`)).text()).toMatch(/^accessbot_watch_stalled 0$/m);
  expect(recoveryLines()).toHaveLength(1);
  expect(stallLines()).toHaveLength(1);
  // Nothing was lost meanwhile.
  for (const r of created) await waitFor(() => receiver.latest(r.id, '/ops'), 20_000, `${r.id} delivered`);
});
