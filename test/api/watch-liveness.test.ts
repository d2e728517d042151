// Dead connections that never close: the server sends a heartbeat comment, and the client
// treats a silent stream as dropped and resumes with Last-Event-ID.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { AccessRequest, RequestEvent } from '../../src/access/types.js';
import { formatEvent, streamEvents } from '../../src/api/watch-stream.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { createLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { waitFor } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

function event(seq: number): RequestEvent {
  return {
    seq,
    type: 'put',
    at: new Date().toISOString(),
    request: { id: `r${seq}`, version: 1 } as AccessRequest,
  };
}

it('the server writes a heartbeat comment while there is nothing to send', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'accessbot-hb-'));
  const store = new SqliteStore({ path: join(dir, 'a.db') });
  cleanups.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const server = createServer((_req, res) => {
    void streamEvents({
      store,
      since: 0,
      res,
      log: createLogger({ level: 'silent' }),
      authorize: async () => {},
      heartbeatMs: 50,
    });
  });
  const url = await listen(server);
  const abort = new AbortController();
  cleanups.push(() => abort.abort());
  const res = await fetch(url, { signal: abort.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  while ((text.match(/^: heartbeat$/gm) ?? []).length < 2) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  expect(text.match(/^: heartbeat$/gm)?.length).toBeGreaterThanOrEqual(2);
});

it('the client drops a silent stream and resumes after the last event it delivered', async () => {
  const lastEventIds: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    const lastEventId = req.headers['last-event-id'] as string | undefined;
    lastEventIds.push(lastEventId);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // From the start: event 1, then silence (no heartbeat, never closed). Resumed after 1: event 2.
    res.write(formatEvent(event(lastEventId === '1' ? 2 : 1)));
  });
  const url = await listen(server);
  const client = new HttpAccessClient({ baseUrl: url, token: 'abt_x', watchIdleTimeoutMs: 500 });
  const seen: number[] = [];
  const abort = new AbortController();
  const watching = client.watch({ since: 0, signal: abort.signal, onEvent: (e) => void seen.push(e.seq) });
  await waitFor(() => (seen.length >= 2 ? true : undefined), 'resume after silence');
  abort.abort();
  await watching;
  expect(seen).toEqual([1, 2]);
  expect(lastEventIds[0]).toBe('0');
  // After the silent stream was dropped, the client resumed after the event it had delivered.
  expect(lastEventIds.indexOf('1')).toBeGreaterThan(0);
});
