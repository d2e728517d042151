// Shared set-up for the fault suites: a real API in this process, a real receiver, and a
// spec for host child processes; plus the burst and the exactly-once check every suite ends with.

import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { ensureServiceToken } from '../../src/api/server.js';
import { HOST_ROLES, HOST_USERS } from '../host/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import type { HostProcessSpec } from '../support/host-process.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { waitFor } from '../support/stack.js';

export const SECRET = 'fault-test-secret-0123456789';
export const TARGET_PATHS = ['/ops', '/dba-team'];

export interface FaultWorld {
  testApi: TestApi;
  receiver: Receiver;
  spec: HostProcessSpec;
  /** Creates `n` dba requests as alice, `parallel` at a time; `onCreated` sees the running count. */
  burst(
    n: number,
    opts?: { parallel?: number; onCreated?: (count: number) => Promise<void> | void },
  ): Promise<string[]>;
  /** Waits until every request reached every target, then checks each got exactly one post. */
  expectExactlyOnce(ids: string[], timeoutMs?: number): Promise<{ duplicatesDropped: number }>;
  stop(): Promise<void>;
}

export async function startFaultWorld(
  redisSocket: string,
  delivery: Record<string, unknown> = {},
): Promise<FaultWorld> {
  const testApi = await startTestApi({ rolesYaml: HOST_ROLES, users: HOST_USERS });
  const receiver = await startReceiver({ secret: SECRET });
  const token = await ensureServiceToken(testApi.api.store, 'accessbot-host', ['accessbot-plugin']);
  const alice = await testApi.clientFor('alice');
  const spec: HostProcessSpec = {
    apiUrl: testApi.api.url,
    apiToken: token,
    redisSocket,
    prefix: `f${randomUUID().slice(0, 8)}`,
    plugins: { webhook: { secret: SECRET } },
    routing: [{ roles: ['dba'], targets: { webhook: TARGET_PATHS.map((p) => receiver.urlFor(p)) } }],
    delivery: { backoff: '100ms', max_backoff: '2s', attempts: 30, ...delivery },
    lockDurationMs: 4000,
    stalledIntervalMs: 2000,
  };
  return {
    testApi,
    receiver,
    spec,
    async burst(n, opts = {}) {
      const ids: string[] = [];
      const parallel = opts.parallel ?? 10;
      let next = 0;
      const lane = async () => {
        while (next < n) {
          next++;
          const req = await alice.createRequest({ roles: ['dba'], reason: `burst ${next}` });
          ids.push(req.id);
          await opts.onCreated?.(ids.length);
        }
      };
      await Promise.all(Array.from({ length: parallel }, lane));
      return ids;
    },
    expectExactlyOnce: (ids, timeoutMs) => expectDeliveredExactlyOnce(receiver, ids, timeoutMs),
    async stop() {
      await receiver.stop();
      await testApi.stop();
    },
  };
}

/**
 * Waits until every request reached every target, then checks each got exactly one distinct post
 * (re-sent copies of one delivery, deduplicated by delivery id, are counted and returned).
 */
export async function expectDeliveredExactlyOnce(
  receiver: Receiver,
  ids: string[],
  timeoutMs = 60_000,
): Promise<{ duplicatesDropped: number }> {
  const want = new Set(ids.flatMap((id) => TARGET_PATHS.map((p) => `${id} ${p}`)));
  await waitFor(
    () => {
      const got = receiver.postsByTarget();
      for (const key of want) if (!got.has(key)) return false;
      return true;
    },
    timeoutMs,
    `${want.size} deliveries`,
  );
  // A late duplicate would arrive within a lock period or two: give it the chance.
  await new Promise((r) => setTimeout(r, 2000));
  const byTarget = receiver.postsByTarget();
  const extra = [...want].filter((k) => (byTarget.get(k)?.length ?? 0) !== 1);
  expect(extra, 'targets with other than exactly one distinct post').toEqual([]);
  const strays = [...byTarget.keys()].filter((k) => !want.has(k) && ids.some((id) => k.startsWith(id)));
  expect(strays).toEqual([]);
  const duplicatesDropped = receiver
    .deliveries()
    .filter((d) => d.event === 'request.posted')
    .reduce((n, d) => n + d.copies - 1, 0);
  return { duplicatesDropped };
}
