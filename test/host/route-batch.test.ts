// Requests that reach a host many at once (here: created while no host ran, found by the
// start-up reconcile) are routed in batches. A request whose routing fails must not hold up
// or fail the rest of its batch: it is retried on its own and still posted exactly once.

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import { ensureServiceToken } from '../../src/api/server.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { configurePlugins } from '../../src/config/plugin-blocks.js';
import { configSchema } from '../../src/config/schema.js';
import { listDeliveries, type RunningHost, startHost } from '../../src/host/index.js';
import { createLogger } from '../../src/log.js';
import {
  type Card,
  definePlugin,
  type PluginDefinition,
  type Target,
  transient,
  z,
} from '../../src/plugin-sdk/index.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { testRedisOptions, waitFor } from '../support/stack.js';
import { HOST_ROLES, HOST_USERS } from './fixtures.js';

const posted: { target: Target; card: Card }[] = [];
let flakyLookups = 0;

/** A platform whose lookup of `#flaky` fails twice (a timeout, say) before it answers. */
const flaky = definePlugin({
  id: 'flaky',
  description: 'fails its first two lookups of #flaky',
  configSchema: z.object({}).strict(),
  create() {
    return {
      async healthCheck() {},
      async resolveRecipient(raw, audience) {
        if (raw === '#flaky' && ++flakyLookups <= 2) throw transient('lookup timed out');
        return { id: raw, kind: 'channel', audience };
      },
      defaultRecipients: (card) => [card.reason.startsWith('flaky') ? '#flaky' : '#steady'],
      async deliver(target, card) {
        posted.push({ target, card });
        return { n: posted.length };
      },
      async update() {
        return undefined;
      },
    };
  },
});

let api: TestApi;
let host: RunningHost | undefined;

beforeAll(async () => {
  api = await startTestApi({ rolesYaml: HOST_ROLES, users: HOST_USERS });
});

afterAll(async () => {
  await host?.close();
  await api?.stop();
});

it('retries a request whose routing failed on its own; the rest of its batch is posted once', async () => {
  const alice = await api.clientFor('alice');
  const steady: AccessRequest[] = [];
  const flakyOnes: AccessRequest[] = [];
  for (let i = 0; i < 60; i++) {
    const reason = i % 20 === 7 ? `flaky ${i}` : `steady ${i}`;
    const r = await alice.createRequest({ roles: ['dba'], reason });
    (reason.startsWith('flaky') ? flakyOnes : steady).push(r);
  }
  const config = configSchema.parse({
    host: {
      listen: '127.0.0.1:0',
      redis: { prefix: `batch${Date.now()}` },
      delivery: { backoff: '100ms', max_backoff: '1s' },
    },
    plugins: { flaky: {} },
  });
  host = await startHost({
    config,
    client: new HttpAccessClient({
      baseUrl: api.api.url,
      token: await ensureServiceToken(api.api.store, 'accessbot-host', ['accessbot-plugin']),
    }),
    log: createLogger({ level: 'silent' }),
    redis: testRedisOptions(),
    plugins: await configurePlugins(
      config.plugins,
      new Map([['flaky', flaky as unknown as PluginDefinition]]),
    ),
  });
  const postsOf = (id: string) => posted.filter((p) => p.card.requestId === id);
  await waitFor(
    () => [...steady, ...flakyOnes].every((r) => postsOf(r.id).length > 0),
    30_000,
    'a post for every request',
  );
  await new Promise((r) => setTimeout(r, 500));
  expect(flakyLookups).toBeGreaterThanOrEqual(3);
  for (const r of steady) expect(postsOf(r.id).map((p) => p.target.id)).toEqual(['#steady']);
  for (const r of flakyOnes) expect(postsOf(r.id).map((p) => p.target.id)).toEqual(['#flaky']);
  expect(posted).toHaveLength(60);
  // What an operator sees: the batches, plus a route job of its own for each of the two
  // requests whose lookup failed (the third flaky one came after the platform recovered).
  const rows = await listDeliveries(config, { redis: testRedisOptions() });
  expect(rows.filter((r) => r.op === 'route-batch').reduce((n, r) => n + (r.requests ?? 0), 0)).toBe(60);
  const own = rows.filter((r) => r.op === 'route').map((r) => r.requestId);
  expect(own).toHaveLength(2);
  expect(flakyOnes.map((r) => r.id)).toEqual(expect.arrayContaining(own));
}, 60_000);
