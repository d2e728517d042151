// A burst of 10,000 events meets readers that stop reading. Each such reader is dropped once:
// the API logs one "too slow" line per connection (not one per waiting event), and the stream
// ends with an `error` event WATCH_READER_TOO_SLOW after what it was already sent, so a reader
// that reads again learns why, and the client resumes from where it was, losing nothing. A
// reader that never reads again is cut.

import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hasCode } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { HOST_ROLES, HOST_USERS } from '../host/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { waitFor } from './helpers.js';

const STALL_TIMEOUT_MS = 1_500;
/** How long a dropped stream's end waits for its reader before the socket is cut. */
const END_GRACE_MS = 8_000;
const BURST = 10_000;
let t: TestApi;
const lines: Record<string, unknown>[] = [];
const tooSlowLines = () => lines.filter((l) => /too slow/.test(String(l.msg)));

beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  t = await startTestApi({
    rolesYaml: HOST_ROLES,
    users: HOST_USERS,
    watchTiming: { stallTimeoutMs: STALL_TIMEOUT_MS, endGraceMs: END_GRACE_MS },
    log: createLogger({ level: 'info', destination }),
  });
});
afterAll(async () => {
  await t?.stop();
});

interface RawReader {
  socket: Socket;
  text(): string;
  ended(): boolean;
  closed(): boolean;
}

/** A watch over a bare socket that reads the response head and then stops reading. */
async function stalledReader(token: string, since: number): Promise<RawReader> {
  const socket = connect({ host: '127.0.0.1', port: t.api.port });
  const chunks: Buffer[] = [];
  let ended = false;
  let closed = false;
  let head = false;
  socket.on('error', () => {});
  socket.on('end', () => {
    ended = true;
  });
  socket.on('close', () => {
    closed = true;
  });
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    if (!head) {
      head = true;
      socket.pause();
    }
  });
  socket.write(
    `GET /v1/watch?since=${since} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`,
  );
  await waitFor(() => (head ? true : undefined), 'watch response head');
  return {
    socket,
    text: () => Buffer.concat(chunks).toString('utf8'),
    ended: () => ended,
    closed: () => closed,
  };
}

it('drops each reader of a 10,000-event burst that stops reading once, with one log line and a reason it can read', {
  timeout: 180_000,
}, async () => {
  const alice = await t.clientFor('alice');
  const template = await alice.createRequest({ roles: ['dev-web'], reason: 'burst template' });
  const since = await t.adminClient.latestSeq();
  const token = (await t.adminClient.issueToken('admin', { description: 'slow readers' })).token;

  // Two bare readers that stop reading, and a client whose consumer stalls on its first event
  // until the API has given up on it.
  const reads = await stalledReader(token, since);
  const neverReads = await stalledReader(token, since);
  const seqs: number[] = [];
  const reasons: unknown[] = [];
  const abort = new AbortController();
  const watching = t.adminClient.watch({
    since,
    signal: abort.signal,
    onEvent: async (event) => {
      if (seqs.length === 0)
        await waitFor(() => tooSlowLines().length >= 3 || undefined, 'the client to be dropped', 60_000);
      seqs.push(event.seq);
      if (event.seq >= since + BURST) abort.abort();
    },
    onReconnect: (err) => {
      reasons.push(err);
    },
  });

  // The burst: committed back to back, ~2.3 KB each (23 MB: more than the kernel's socket buffers).
  const commits: Promise<unknown>[] = [];
  for (let i = 0; i < BURST; i++) {
    commits.push(
      t.api.store.createRequest({
        ...template,
        id: randomUUID(),
        reason: `burst ${i} ${'y'.repeat(2000)}`,
        created: new Date().toISOString(),
      }),
    );
  }
  await Promise.all(commits);

  // All three stopped reading at once, so all are dropped within moments of each other (well
  // inside the end's grace).
  await waitFor(() => tooSlowLines().length >= 3 || undefined, 'the three readers dropped', 60_000);
  // The reader that reads again gets what it was sent, then the reason, then a clean end.
  reads.socket.resume();
  await waitFor(() => reads.ended() || undefined, 'the end of the dropped stream', 30_000);
  const text = reads.text();
  expect(text).toMatch(/event: error\ndata: \{"error":\{"code":"WATCH_READER_TOO_SLOW"/);
  expect(text.endsWith('0\r\n\r\n')).toBe(true); // the chunked body's last chunk: ended, not reset
  const lastSent = Number(/"lastEventId":(\d+)/.exec(text)?.[1]);
  const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  expect(ids.at(-1)).toBe(lastSent);
  expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => since + i + 1));
  expect(ids.length).toBeLessThan(BURST);

  // The client resumed where it was dropped: every event once, in order, and it knows why.
  await watching;
  expect(seqs).toEqual(Array.from({ length: BURST }, (_, i) => since + i + 1));
  expect(reasons.some((r) => hasCode(r, 'WATCH_READER_TOO_SLOW'))).toBe(true);

  // The reader that never reads again cannot even take the end: it is cut a grace later.
  await new Promise((r) => setTimeout(r, END_GRACE_MS + 500));
  neverReads.socket.resume();
  await waitFor(() => neverReads.closed() || undefined, 'the never-reading reader to be cut', 30_000);

  // One line per dropped connection, however many events each left unread.
  expect(tooSlowLines()).toHaveLength(3);
  expect(tooSlowLines().every((l) => l.level === 40)).toBe(true);
  expect((await alice.whoami()).user.name).toBe('alice');
});
