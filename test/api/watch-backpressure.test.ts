// The watch stream moves at its reader's pace: a log of large events (larger than today's
// limits allow, as an older version could write them) replays to the end in one connection,
// and a reader that stops reading is cut off only after the stall timeout, never by how far
// behind it is, while other readers carry on.

import { connect } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import type { HttpAccessClient } from '../../src/client/http-access-client.js';
import { RESOURCE_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { maxSizeRequest } from '../support/max-request.js';
import { waitFor } from './helpers.js';

const STALL_TIMEOUT_MS = 3_000;
let t: TestApi;
let rita: HttpAccessClient;

beforeAll(async () => {
  t = await startTestApi({
    rolesYaml: RESOURCE_ROLES_YAML,
    users: [seedUsers.rita, seedUsers.rob],
    watchTiming: { stallTimeoutMs: STALL_TIMEOUT_MS },
  });
  rita = await t.clientFor('rita');
});
afterAll(async () => {
  await t?.stop();
});

/** Follows the stream from `since` until `until`; resolves with the seqs seen and reconnects. */
async function follow(client: HttpAccessClient, since: number, until: number) {
  const seqs: number[] = [];
  let reconnects = 0;
  const abort = new AbortController();
  const watching = client.watch({
    since,
    signal: abort.signal,
    onEvent: (event) => {
      seqs.push(event.seq);
      if (event.seq >= until) abort.abort();
    },
    onReconnect: () => {
      reconnects++;
    },
  });
  await waitFor(() => (abort.signal.aborted ? true : undefined), `events up to ${until}`, 90_000);
  await watching;
  return { seqs, reconnects };
}

/** Appends `count` events of ~`bytes` each the way an older version stored them: no size check. */
async function appendLegacyEvents(count: number, bytes: number): Promise<void> {
  const template = await rita.createRequest(maxSizeRequest('template'));
  const db = new Database(join(t.dataDir, 'accessbot.db'));
  const insert = db.prepare('INSERT INTO events (request_id, type, request, at) VALUES (?, ?, ?, ?)');
  for (let i = 0; i < count; i++) {
    const big: AccessRequest = { ...template, id: crypto.randomUUID(), reason: 'z'.repeat(bytes) };
    insert.run(big.id, 'put', JSON.stringify(big), new Date().toISOString());
  }
  db.close();
}

it('replays 100 events of ~264 KB each (26 MB, past the old 8 MiB cut-off) in one connection', async () => {
  await appendLegacyEvents(100, 264 * 1024);
  const first = (await t.adminClient.latestSeq()) - 100;
  const last = await t.adminClient.latestSeq();
  expect(last).toBe(first + 100);

  const { seqs, reconnects } = await follow(t.adminClient, 0, last);
  expect(seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1));
  expect(reconnects).toBe(0);
}, 120_000);

it('replays 300 maximum-size requests made through the API, each once and in order', async () => {
  const since = await t.adminClient.latestSeq();
  for (let i = 0; i < 300; i++) await rita.createRequest(maxSizeRequest(i));
  const last = await t.adminClient.latestSeq();
  const { seqs, reconnects } = await follow(t.adminClient, since, last);
  expect(seqs).toEqual(Array.from({ length: last - since }, (_, i) => since + i + 1));
  expect(reconnects).toBe(0);
}, 180_000);

it('a reader that stops reading is cut after the stall timeout, and others are not held up', async () => {
  // More than the kernel's socket buffers hold, so the server is the one waiting.
  await appendLegacyEvents(60, 264 * 1024);
  const token = (await t.adminClient.issueToken('admin', { description: 'stalled reader' })).token;
  const socket = connect({ host: '127.0.0.1', port: t.api.port });
  let closedAt: number | undefined;
  let head = false;
  socket.on('close', () => {
    closedAt = Date.now();
  });
  socket.on('error', () => {});
  socket.once('data', () => {
    head = true;
    socket.pause(); // the response head, then nothing more is read
  });
  socket.write(`GET /v1/watch?since=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  await waitFor(() => (head ? true : undefined), 'watch response head');
  const stalledSince = Date.now();

  // Meanwhile another reader follows everything live.
  const since = await t.adminClient.latestSeq();
  const created: string[] = [];
  for (let i = 0; i < 20; i++) created.push((await rita.createRequest(maxSizeRequest(`live${i}`))).id);
  const { seqs } = await follow(t.adminClient, since, await t.adminClient.latestSeq());
  expect(seqs).toHaveLength(20);

  // Past the stall timeout, read again: a cut stream ends once what was in flight is read; a
  // stream that was not cut would carry on (heartbeats) and this wait would time out.
  await new Promise((r) => setTimeout(r, Math.max(0, stalledSince + STALL_TIMEOUT_MS + 2_000 - Date.now())));
  socket.resume();
  await waitFor(() => (closedAt !== undefined ? true : undefined), 'the stalled reader to be cut', 30_000);
  expect(closedAt! - stalledSince).toBeGreaterThanOrEqual(STALL_TIMEOUT_MS);
  expect((await rita.whoami()).user.name).toBe('rita');
}, 120_000);
