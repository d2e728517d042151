// Restart PostgreSQL (an immediate stop, as a crash, then a start on the same data) in the middle
// of a burst of creates: while it is down the API answers 503 STORE_UNAVAILABLE (readiness and
// writes alike), it recovers by itself once the server is back, nothing acknowledged is lost,
// and a watch that spans the outage sees every event once, in order.

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RequestEvent } from '../../src/access/types.js';
import { AccessbotError } from '../../src/errors.js';
import { ALL_SEED_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { waitFor } from '../support/stack.js';

let pgServer: TestPostgres;
let t: TestApi;

beforeAll(async () => {
  pgServer = await startTestPostgres();
  const db = await pgServer.createDatabase();
  t = await startTestApi({
    store: { postgresUrl: db.url },
    rolesYaml: ALL_SEED_ROLES_YAML,
    users: [seedUsers.alice],
  });
});

afterAll(async () => {
  await t?.stop();
  await pgServer?.stop();
});

async function readiness(): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${t.api.url}/readyz`);
  const body = (await res.json()) as { error?: { code?: string } };
  return { status: res.status, ...(body.error?.code ? { code: body.error.code } : {}) };
}

it('answers 503 STORE_UNAVAILABLE while PostgreSQL is down, recovers by itself, loses nothing acknowledged', {
  timeout: 120_000,
}, async () => {
  const alice = await t.clientFor('alice');
  const start = await t.adminClient.latestSeq();
  const seen: RequestEvent[] = [];
  const abort = new AbortController();
  const watching = t.adminClient.watch({
    since: start,
    signal: abort.signal,
    onEvent: (e) => void seen.push(e),
  });

  const n = 300;
  const acked: string[] = [];
  let sent = 0;
  let unavailable = 0;
  let outage: Promise<void> | undefined;
  const whileDown: { ready?: { status: number; code?: string }; create?: string } = {};
  const lane = async () => {
    while (sent < n) {
      const i = sent++;
      for (;;) {
        try {
          acked.push((await alice.createRequest({ roles: ['dba'], reason: `burst ${i}` })).id);
          break;
        } catch (err) {
          // The only failure allowed is the stable code for "the store is away": retry, as a client would.
          if (!(err instanceof AccessbotError && err.code === 'STORE_UNAVAILABLE')) throw err;
          unavailable++;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      if (!outage && acked.length >= 100) {
        outage = (async () => {
          pgServer.kill();
          whileDown.ready = await readiness();
          whileDown.create = await alice.createRequest({ roles: ['dba'], reason: 'while down' }).then(
            () => 'created',
            (err: unknown) => (err instanceof AccessbotError ? err.code : String(err)),
          );
          await new Promise((r) => setTimeout(r, 1500));
          pgServer.start();
        })();
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, () => lane()));
  await outage;
  expect(whileDown).toEqual({
    ready: { status: 503, code: 'STORE_UNAVAILABLE' },
    create: 'STORE_UNAVAILABLE',
  });
  expect(unavailable).toBeGreaterThan(0);
  // Ready again without a restart of the API.
  await waitFor(async () => (await readiness()).status === 200, 30_000, 'readiness after the restart');

  expect(acked).toHaveLength(n);
  for (const id of acked) expect((await t.adminClient.getRequest(id)).id).toBe(id);
  const latest = await t.adminClient.latestSeq();
  await waitFor(() => (seen.at(-1)?.seq ?? 0) >= latest, 30_000, 'the watch to reach the end of the log');
  abort.abort();
  await watching.catch(() => undefined);
  expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: latest - start }, (_, i) => start + i + 1));
  console.log(`postgres restart: ${unavailable} creates answered 503 STORE_UNAVAILABLE and were retried`);
});
