// A reader that stops reading in the middle of a replay must not make the API hold the events
// committed meanwhile: they stay in the log until it reads again. The API runs as its own
// process under a small heap cap; holding the ~90 MB committed while the reader is stalled
// would run it out of heap ("JavaScript heap out of memory").

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { RESOURCE_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { type RunningCli, startCli, waitUntil } from '../cli/cli-runner.js';
import { maxSizeRequest } from '../support/max-request.js';
import { waitFor } from './helpers.js';

const HEAP_CAP_MB = 96;
const BEFORE_STALL = 150;
const WHILE_STALLED = 2_400;

let dir: string;
let api: RunningCli;
let url: string;
let admin: HttpAccessClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'accessbot-watch-mem-'));
  writeFileSync(join(dir, 'roles.yaml'), RESOURCE_ROLES_YAML);
  api = startCli(['api'], {
    cwd: dir,
    nodeArgs: [`--max-old-space-size=${HEAP_CAP_MB}`],
    env: {
      ACCESSBOT_API_LISTEN: '127.0.0.1:0',
      ACCESSBOT_ROLES_FILE: join(dir, 'roles.yaml'),
      LOG_LEVEL: 'warn',
    },
  });
  await waitUntil(() => /access API listening on/.test(api.stdout()) || api.child.exitCode !== null, 'api');
  const m = /^access API listening on (http:\/\/\S+)$/m.exec(api.stdout());
  if (!m) throw new Error(`api did not start:\n${api.stdout()}\n${api.stderr()}`);
  url = m[1]!;
  admin = new HttpAccessClient({
    baseUrl: url,
    token: readFileSync(join(dir, 'data', 'admin.token'), 'utf8').trim(),
  });
  await admin.upsertUser(seedUsers.rita);
}, 90_000);

afterAll(async () => {
  if (api && api.child.exitCode === null) {
    api.child.kill('SIGTERM');
    await api.done;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function createMany(client: HttpAccessClient, count: number, tag: string) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await client.createRequest(maxSizeRequest(`${tag}${i}`));
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

it('a reader stalled mid-replay costs the API no memory per event committed meanwhile', async () => {
  const { token } = await admin.issueToken('rita');
  const rita = new HttpAccessClient({ baseUrl: url, token });
  await createMany(rita, BEFORE_STALL, 'a');

  const { port } = new URL(url);
  const socket = connect({ host: '127.0.0.1', port: Number(port) });
  let received = 0;
  let closed = false;
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
  });
  socket.once('data', (chunk: Buffer) => {
    received += chunk.length;
    socket.pause(); // the first bytes of the replay, then nothing
  });
  const adminToken = readFileSync(join(dir, 'data', 'admin.token'), 'utf8').trim();
  socket.write(
    `GET /v1/watch?since=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${adminToken}\r\n\r\n`,
  );
  await waitFor(() => (received > 0 ? true : undefined), 'the replay to start');

  // ~38 KB each, ~90 MB in all: far more than the API's heap cap while the reader is stalled.
  await createMany(rita, WHILE_STALLED, 'b');
  expect(api.child.exitCode).toBeNull();
  const latest = await admin.latestSeq();

  // The API still serves, and a reader from the start gets every event.
  let seen = 0;
  const abort = new AbortController();
  await admin.watch({
    since: 0,
    signal: abort.signal,
    onEvent: (event) => {
      seen++;
      if (event.seq >= latest) abort.abort();
    },
  });
  expect(seen).toBe(latest);
  socket.destroy();
  expect(closed || socket.destroyed).toBe(true);
  expect(api.child.exitCode).toBeNull();
  expect(api.stderr()).not.toContain('heap out of memory');
}, 300_000);
