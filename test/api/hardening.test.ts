// Bad input and ordinary faults get a 4xx/503/507 with a stable code in the one error shape,
// never INTERNAL: an absurd token TTL, a YAML alias bomb, fastify's and Node's own refusals
// (over-long path parameters and headers), identifiers holding control or bidi characters, a
// reason made only of invisible characters, and a full disk (507 on create, /readyz not ok,
// both back once there is room).

import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpAccessClient } from '../../src/client/http-access-client.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import { ALL_SEED_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { maxSizeRequest } from '../support/max-request.js';
import { expectRejectCode, snapshot } from './helpers.js';

let t: TestApi;
let erin: HttpAccessClient;
let rita: HttpAccessClient;
let token: string;

beforeAll(async () => {
  t = await startTestApi({ rolesYaml: ALL_SEED_ROLES_YAML, users: [seedUsers.erin, seedUsers.rita] });
  erin = await t.clientFor('erin');
  rita = await t.clientFor('rita');
  token = readFileSync(t.api.adminTokenFile, 'utf8').trim();
});
afterAll(async () => {
  await t?.stop();
});

async function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(t.api.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as { error: { code: string; message: string } } };
}

describe('bad input', () => {
  it('a token TTL of 99999999d is INVALID_DURATION, not a 500', async () => {
    const before = await snapshot(t.adminClient);
    const err = await expectRejectCode(
      t.adminClient.issueToken('erin', { ttl: '99999999d' }),
      'INVALID_DURATION',
    );
    expect(err.status).toBe(400);
    expect(err.message).toContain('3650d');
    expect(await snapshot(t.adminClient)).toEqual(before);
  });

  it('a YAML alias bomb sent to /v1/roles is INVALID_YAML', async () => {
    const lines = ['kind: role', 'metadata: {name: bomb}', 'a0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    lines.push('spec: {}');
    const res = await raw('POST', '/v1/roles', lines.join('\n'), { 'content-type': 'application/yaml' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_YAML');
    expect(res.body.error.message).toMatch(/alias/i);
  });

  it("fastify's refusal of an over-long path parameter comes in the one error shape", async () => {
    const res = await raw('GET', `/v1/users/${'x'.repeat(5000)}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'VALIDATION_FAILED', message: expect.any(String) } });
    const badEncoding = await raw('GET', '/v1/users/%E0%A4%A');
    expect(badEncoding.status).toBe(400);
    expect(badEncoding.body.error.code).toBe('VALIDATION_FAILED');
  });

  it("Node's refusal of over-long headers comes in the one error shape", async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: t.api.port }, () => {
        socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    expect(body.error.code).toBe('HEADERS_TOO_LARGE');
  });

  it('role names refuse NUL, ESC and bidi controls with a clear 400', async () => {
    for (const bad of ['ops\u0000', 'ops\u001b[31m', 'ops\u202egnp.exe']) {
      const err = await expectRejectCode(
        t.adminClient.applyRoles([{ kind: 'role', version: 'v7', metadata: { name: bad }, spec: {} }]),
        'INVALID_ROLE',
      );
      expect(err.message).toMatch(/metadata\.name contains U\+(0000|001B|202E)/);
    }
  });

  it('trait keys refuse NUL, ESC and bidi controls with a clear 400', async () => {
    for (const bad of ['team\u0000', 'team\u001b', 'te\u202eam']) {
      const err = await expectRejectCode(
        t.adminClient.upsertUser({ name: 'trait-test', roles: [], traits: { [bad]: ['x'] } }),
        'VALIDATION_FAILED',
      );
      expect(err.message).toMatch(/contains U\+(0000|001B|202E)/);
    }
  });

  it('a reason made only of zero-width and invisible characters is no reason', async () => {
    const before = await snapshot(t.adminClient);
    await expectRejectCode(
      erin.createRequest({ roles: ['common'], reason: '\u200b\u200c\u200d\u2060\ufeff\u00ad \u3164\u202e' }),
      'REASON_REQUIRED',
    );
    expect(await snapshot(t.adminClient)).toEqual(before);
    // A real reason, even a short one in any script, is one.
    expect((await erin.createRequest({ roles: ['common'], reason: 'تذكرة 42' })).state).toBe('PENDING');
  });
});

describe('a full disk at run time', () => {
  it('answers 507 STORAGE_FULL on create and /readyz is not ok, until there is room again', async () => {
    const store = t.api.store as SqliteStore;
    expect((await fetch(`${t.api.url}/readyz`)).status).toBe(200);
    // SQLite's own page cap makes the next growth fail with SQLITE_FULL, as a full disk does.
    const { size } = await import('node:fs').then((fs) => fs.statSync(`${t.dataDir}/accessbot.db`));
    store.capFileSize(size);
    let err: Awaited<ReturnType<typeof expectRejectCode>> | undefined;
    for (let i = 0; i < 200 && !err; i++) {
      err = await rita.createRequest(maxSizeRequest(`full${i}`)).then(
        () => undefined,
        (e) => e,
      );
    }
    expect(err?.code).toBe('STORAGE_FULL');
    expect(err?.status).toBe(507);
    const ready = await fetch(`${t.api.url}/readyz`);
    expect(ready.status).toBe(507);
    expect(((await ready.json()) as { error: { code: string } }).error.code).toBe('STORAGE_FULL');

    store.capFileSize(1024 * 1024 * 1024);
    await new Promise((r) => setTimeout(r, 1_100)); // readiness probes the disk at most once a second
    expect((await fetch(`${t.api.url}/readyz`)).status).toBe(200);
    expect((await rita.createRequest(maxSizeRequest('after'))).state).toBe('PENDING');
  });
});
