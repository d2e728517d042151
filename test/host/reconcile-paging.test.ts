// A host starting with more PENDING requests than one page (1,200; the reconcile reads 500
// at a time) posts every one of them exactly once, including requests created while it is
// still paging, and posts nothing for requests that were already resolved.

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import { HttpAccessClient } from '../../src/api/client.js';
import { ensureServiceToken } from '../../src/api/server.js';
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

beforeAll(async () => {
  api = await startTestApi({ rolesYaml: HOST_ROLES, users: HOST_USERS });
  receiver = await startReceiver({ secret: SECRET });
});

afterAll(async () => {
  await host?.close();
  await receiver?.stop();
  await api?.stop();
});

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

  host = await startHost({
    config: configSchema.parse({
      host: {
        listen: '127.0.0.1:0',
        redis: { prefix: `recpage${Date.now()}` },
        routing: [{ roles: ['*'], targets: { webhook: [receiver.urlFor('ops')] } }],
      },
      plugins: { webhook: { secret: SECRET } },
    }),
    client: new HttpAccessClient({
      baseUrl: api.api.url,
      token: await ensureServiceToken(api.api.store, 'accessbot-host', ['accessbot-plugin']),
    }),
    log: createLogger({ level: 'silent' }),
    redis: testRedisOptions(),
  });
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
