// A watch consumer that stops reading must not grow the server's memory without bound:
// the server cuts it off, and (like any dropped consumer) it would resume from the log.

import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import { CONTRACTOR_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { waitFor } from './helpers.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({ rolesYaml: CONTRACTOR_ROLES_YAML, users: [seedUsers.alice] });
});
afterAll(async () => {
  await t?.stop();
});

it('closes the stream of a consumer that stopped reading, once it is megabytes behind', async () => {
  const alice = await t.clientFor('alice');
  const template: AccessRequest = await alice.createRequest({ roles: ['dba'], reason: 'r'.repeat(4000) });
  const token = readFileSync(t.api.adminTokenFile, 'utf8').trim();

  const socket = connect({ host: '127.0.0.1', port: t.api.port });
  let closed = false;
  let received = 0;
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => {});
  socket.once('data', (chunk: Buffer) => {
    received += chunk.length;
    socket.pause(); // read the response head, then never again
  });
  socket.write(
    `GET /v1/watch?since=${await t.adminClient.latestSeq()} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`,
  );
  await waitFor(() => (received > 0 ? true : undefined), 'watch response head');

  // ~5 KB per event; well past the 8 MiB allowance plus what the kernel buffers hold.
  for (let i = 0; i < 6_000; i++) {
    await t.api.store.createRequest({ ...template, id: crypto.randomUUID() });
    if (i % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  // A cut stream ends once the consumer drains what was already in flight; a stream that was
  // not cut stays open (heartbeats) and this wait times out.
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  socket.resume();
  await waitFor(() => (closed ? true : undefined), 'server to cut the slow consumer', 30_000);
  expect(closed).toBe(true);
  // It was cut well before everything was sent (~30 MB were written to the log).
  expect(received).toBeLessThan(25 * 1024 * 1024);
  // The API itself is fine afterwards.
  expect((await alice.whoami()).user.name).toBe('alice');
}, 60_000);
