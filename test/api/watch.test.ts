// The watch stream's contract: replay from a cursor, then live; Last-Event-ID wins over
// `since`; only identities with list/read on access_request may follow it.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RequestEvent } from '../../src/access/types.js';
import type { HttpAccessClient } from '../../src/client/http-access-client.js';
import { ALL_SEED_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectRejectCode, waitFor } from './helpers.js';

let t: TestApi;
let alice: HttpAccessClient;

beforeAll(async () => {
  t = await startTestApi({ rolesYaml: ALL_SEED_ROLES_YAML, users: [seedUsers.alice, seedUsers.bob] });
  alice = await t.clientFor('alice');
  for (let i = 0; i < 3; i++) await alice.createRequest({ roles: ['dba'], reason: `before ${i}` });
});

afterAll(async () => {
  await t?.stop();
});

it('replays the log after the cursor, then streams new changes live', async () => {
  const received: RequestEvent[] = [];
  const abort = new AbortController();
  const watching = t.adminClient.watch({
    since: 1,
    signal: abort.signal,
    onEvent: (e) => void received.push(e),
  });
  await waitFor(() => (received.length === 2 ? true : undefined), 'replay');
  expect(received.map((e) => [e.seq, e.request.reason])).toEqual([
    [2, 'before 1'],
    [3, 'before 2'],
  ]);

  const live = await alice.createRequest({ roles: ['dba'], reason: 'live one' });
  const event = await waitFor(() => received.find((e) => e.request.id === live.id), 'live event');
  expect(event).toMatchObject({ seq: 4, type: 'put', request: { state: 'PENDING', user: 'alice' } });
  abort.abort();
  await watching;
});

it('speaks SSE on the wire, and Last-Event-ID overrides since', async () => {
  const token = readFileSync(t.api.adminTokenFile, 'utf8').trim();
  const abort = new AbortController();
  const res = await fetch(`${t.api.url}/v1/watch?since=0`, {
    headers: { authorization: `Bearer ${token}`, 'last-event-id': '2' },
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  while (!/^id: 4$/m.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  abort.abort();
  const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  expect(ids[0]).toBe(3);
  expect(text).toMatch(/id: 3\nevent: put\ndata: \{"seq":3,"type":"put","request":\{/);
});

it('refuses callers without list/read on access_request, and cursors beyond the log', async () => {
  await expectRejectCode(alice.watch({ since: 0, onEvent: () => {} }), 'FORBIDDEN');
  await expectRejectCode(t.adminClient.watch({ since: 10_000, onEvent: () => {} }), 'INVALID_CURSOR');
  const token = readFileSync(t.api.adminTokenFile, 'utf8').trim();
  const res = await fetch(`${t.api.url}/v1/watch?since=-1`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(400);
});

it('stops a consumer whose handler fails instead of skipping the event', async () => {
  const seen: number[] = [];
  const failure = t.adminClient.watch({
    since: 0,
    onEvent: (e) => {
      seen.push(e.seq);
      if (e.seq === 2) throw new Error('consumer broke');
    },
  });
  await expect(failure).rejects.toThrow('consumer broke');
  expect(seen).toEqual([1, 2]);
});
