// api.store.tls reaches the server: with the CA that signed the server's certificate the store
// connects over TLS; with another CA it is refused (STORE_UNAVAILABLE, nothing connects
// unverified), and `reject_unauthorized: false` is the explicit, documented way around that.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { expectRejectCode } from '../api/helpers.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

let dir: string;
let server: TestPostgres;
let port: number;
let db: { url: string; name: string; drop(): Promise<void> };

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A CA and, when `server`, a certificate for 127.0.0.1 signed by it. */
function makeCa(name: string): void {
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  ]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'accessbot-pgtls-'));
  makeCa('ca');
  makeCa('other-ca');
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  ]);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.crt',
  ]);
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  server = await startTestPostgres({
    tls: {
      port,
      certPem: readFileSync(join(dir, 'server.crt'), 'utf8'),
      keyPem: readFileSync(join(dir, 'server.key'), 'utf8'),
    },
  });
  db = await server.createDatabase();
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const open = (tls: { ca?: string; reject_unauthorized: boolean }) =>
  PostgresStore.open({
    config: {
      url: `postgres://postgres@127.0.0.1:${port}/${db.name}`,
      pool_size: 2,
      statement_timeout: 10_000,
      connect_timeout: 5000,
      tls,
    },
  });

it('connects over TLS with the CA that signed the server certificate', async () => {
  const store = await open({ ca: readFileSync(join(dir, 'ca.pem'), 'utf8'), reject_unauthorized: true });
  try {
    await store.createRequest({
      id: 'tls-1',
      user: 'alice',
      roles: ['dba'],
      resources: [],
      reason: '',
      suggestedReviewers: [],
      annotations: {},
      thresholds: [],
      roleThresholds: {},
      state: 'PENDING',
      reviews: [],
      created: 'x',
      requestExpires: 'x',
      accessExpires: 'x',
      approvedRoles: [],
      version: 1,
    });
    expect(await store.latestSeq()).toBe(1);
  } finally {
    await store.close();
  }
});

it('refuses a server its CA did not sign, unless told explicitly not to verify', async () => {
  await expectRejectCode(
    open({ ca: readFileSync(join(dir, 'other-ca.pem'), 'utf8'), reject_unauthorized: true }),
    'STORE_UNAVAILABLE',
  );
  const unverified = await open({ reject_unauthorized: false });
  expect(await unverified.latestSeq()).toBe(1);
  await unverified.close();
});
