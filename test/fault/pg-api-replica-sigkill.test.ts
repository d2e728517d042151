// Two API replicas (child processes) on one PostgreSQL database. A burst of 500 creates goes
// through both, as a load balancer would send it; one replica is SIGKILLed mid-burst and its
// callers retry on the survivor. Every acknowledged create exists, a host following the
// survivor delivers each exactly once, and a watch on the survivor that reconnects mid-burst
// resumes with no gap and no repeat.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RequestEvent } from '../../src/access/types.js';
import { ensureServiceToken } from '../../src/api/server.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { AccessbotError } from '../../src/errors.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { HOST_ROLES, HOST_USERS } from '../host/fixtures.js';
import { type ApiChild, spawnApiProcess } from '../support/api-replica.js';
import { createSharedTestDatabase } from '../support/postgres.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { type HostChild, spawnHostProcess, testRedisOptions, waitFor } from '../support/stack.js';
import { expectDeliveredExactlyOnce, SECRET, TARGET_PATHS } from './world.js';

let db: Awaited<ReturnType<typeof createSharedTestDatabase>>;
const dirs: string[] = [];
const replicas: ApiChild[] = [];
let receiver: Receiver;
let host: HostChild | undefined;

beforeAll(async () => {
  db = await createSharedTestDatabase();
  receiver = await startReceiver({ secret: SECRET });
});

afterAll(async () => {
  await host?.kill('SIGKILL');
  for (const r of replicas) await r.kill('SIGKILL');
  await receiver?.stop();
  await db?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function replica(): Promise<ApiChild> {
  const dataDir = mkdtempSync(join(tmpdir(), 'accessbot-replica-'));
  dirs.push(dataDir);
  const child = await spawnApiProcess({ postgresUrl: db.url, dataDir, poolSize: 4, expiryInterval: '1s' });
  replicas.push(child);
  return child;
}

it('a replica SIGKILLed mid-burst loses nothing acknowledged; the survivor serves host and watch without gaps', {
  timeout: 180_000,
}, async () => {
  const a = await replica();
  const b = await replica();
  const adminToken = readFileSync(join(dirs[0]!, 'admin.token'), 'utf8').trim();
  const adminA = new HttpAccessClient({ baseUrl: a.url, token: adminToken });
  const adminB = new HttpAccessClient({ baseUrl: b.url, token: adminToken });
  await adminA.applyRolesYaml(HOST_ROLES);
  for (const u of HOST_USERS) await adminA.upsertUser(u);
  const { token: aliceToken } = await adminB.issueToken('alice', { description: 'burst' });
  const alice = [a, b].map((r) => new HttpAccessClient({ baseUrl: r.url, token: aliceToken }));

  // The host's identity, minted straight in the store (as `serve` does for its own host).
  const store = await PostgresStore.open({
    config: { url: db.url, pool_size: 1, statement_timeout: 10_000, connect_timeout: 5000 },
  });
  const hostToken = await ensureServiceToken(store, 'accessbot-host', ['accessbot-plugin']);
  await store.close();
  host = await spawnHostProcess({
    apiUrl: b.url,
    apiToken: hostToken,
    redisSocket: testRedisOptions().path,
    prefix: `p${randomUUID().slice(0, 8)}`,
    plugins: { webhook: { secret: SECRET } },
    routing: [{ roles: ['dba'], targets: { webhook: TARGET_PATHS.map((p) => receiver.urlFor(p)) } }],
    delivery: { backoff: '100ms', max_backoff: '2s', attempts: 30 },
    lockDurationMs: 4000,
    stalledIntervalMs: 2000,
  });

  // A watch on the survivor, dropped and resumed from its last seq halfway through.
  const start = await adminB.latestSeq();
  const seen: RequestEvent[] = [];
  let watch = new AbortController();
  let watching = adminB.watch({ since: start, signal: watch.signal, onEvent: (e) => void seen.push(e) });

  const n = 500;
  const acked: string[] = [];
  let sent = 0;
  let killed = false;
  let failedOnDead = 0;
  let resumed = false;
  const lane = async (l: number) => {
    while (sent < n) {
      const i = sent++;
      let target = (l + i) % 2;
      for (;;) {
        try {
          const req = await alice[target]!.createRequest({ roles: ['dba'], reason: `burst ${i}` });
          acked.push(req.id);
          break;
        } catch (err) {
          // Only the dead replica may fail: its callers go to the survivor, as a balancer would.
          if (!(killed && target === 0 && err instanceof AccessbotError && err.code === 'API_UNAVAILABLE'))
            throw err;
          failedOnDead++;
          target = 1;
        }
      }
      if (!killed && acked.length >= 200) {
        killed = true;
        await a.kill('SIGKILL');
      }
      if (!resumed && acked.length >= 300) {
        resumed = true;
        watch.abort();
        await watching.catch(() => undefined);
        watch = new AbortController();
        const last = seen.at(-1)?.seq ?? start;
        watching = adminB.watch({ since: last, signal: watch.signal, onEvent: (e) => void seen.push(e) });
      }
    }
  };
  await Promise.all(Array.from({ length: 10 }, (_, l) => lane(l)));
  expect(killed).toBe(true);
  expect(acked).toHaveLength(n);

  // Every acknowledged create is there, read through the survivor.
  for (const id of acked) expect((await adminB.getRequest(id)).id).toBe(id);

  // The watch: every seq after the start, once, in order (creates the dead replica committed
  // but never acknowledged are in the log too; nothing is skipped either way).
  const latest = await adminB.latestSeq();
  await waitFor(() => (seen.at(-1)?.seq ?? 0) >= latest, 30_000, 'the watch to reach the end of the log');
  watch.abort();
  await watching.catch(() => undefined);
  expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: latest - start }, (_, i) => start + i + 1));
  const watchedIds = new Set(seen.map((e) => e.request.id));
  expect(acked.filter((id) => !watchedIds.has(id))).toEqual([]);

  // The host following the survivor delivered each acknowledged request exactly once.
  const { duplicatesDropped } = await expectDeliveredExactlyOnce(receiver, acked, 120_000);
  console.log(
    `api replica SIGKILL: ${failedOnDead} calls failed on the dead replica and were retried on the survivor; ${latest - start - n} unacknowledged creates committed; ${duplicatesDropped} re-sent copies dropped`,
  );
});
