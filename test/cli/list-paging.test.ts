// Every CLI listing is bounded: `users ls`, `roles ls` and `request ls` print one page (with a
// note on stderr when more follow) and `--all` pages through every one.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRequest, Role, User } from '../../src/access/types.js';
import { CLI_PAGE_SIZE } from '../../src/cli/paging.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { runCli } from './cli-runner.js';

let t: TestApi;
let dir: string;
const EXTRA = CLI_PAGE_SIZE + 5;

beforeAll(async () => {
  t = await startTestApi();
  dir = mkdtempSync(join(tmpdir(), 'accessbot-cli-paging-'));
  const store = t.api.store;
  const created = '2026-01-01T00:00:00.000Z';
  for (let n = 0; n < EXTRA; n++) {
    const name = `u${String(n).padStart(5, '0')}`;
    await store.putUser({ name, roles: [], traits: {}, createdAt: created });
  }
  const roles: Role[] = Array.from({ length: EXTRA }, (_, n) => ({
    kind: 'role',
    version: 'v7',
    metadata: { name: `r${String(n).padStart(5, '0')}` },
    spec: {},
  }));
  await store.putRoles(roles);
  const request = (n: number): AccessRequest => ({
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    user: n % 2 ? 'someone' : 'admin',
    roles: ['dba'],
    resources: [],
    reason: '',
    suggestedReviewers: [],
    annotations: {},
    thresholds: [{ approve: 1, deny: 1 }],
    roleThresholds: { dba: [0] },
    state: 'APPROVED',
    reviews: [],
    created: new Date(Date.UTC(2026, 0, 1) + n).toISOString(),
    requestExpires: '2099-01-01T00:00:00.000Z',
    accessExpires: '2099-01-01T00:00:00.000Z',
    approvedRoles: [],
    version: 1,
  });
  for (let n = 0; n < EXTRA; n++) await store.createRequest(request(n));
});

afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function admin(...args: string[]) {
  return runCli(['--api', t.api.url, ...args], {
    env: { ACCESSBOT_TOKEN_FILE: t.api.adminTokenFile },
    cwd: dir,
  });
}

describe('listings are one page unless --all', { timeout: 90_000 }, () => {
  it('users ls: the first page and a note; --all every user', async () => {
    const first = await admin('--format', 'json', 'users', 'ls');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout) as User[]).toHaveLength(CLI_PAGE_SIZE);
    expect(first.stderr).toMatch(/^note: showing the first 1000 users; more may follow \(pass --all/);
    const all = await admin('--format', 'json', 'users', 'ls', '--all');
    const names = (JSON.parse(all.stdout) as User[]).map((u) => u.name);
    expect(names).toHaveLength(EXTRA + 1); // and the bootstrap admin
    expect(new Set(names).size).toBe(names.length);
    expect(all.stderr).toBe('');
  });

  it('roles ls: the first page and a note; --all every role', async () => {
    const first = await admin('--format', 'json', 'roles', 'ls');
    expect(JSON.parse(first.stdout) as Role[]).toHaveLength(CLI_PAGE_SIZE);
    expect(first.stderr).toMatch(/more may follow/);
    const all = await admin('--format', 'json', 'roles', 'ls', '--all');
    const names = (JSON.parse(all.stdout) as Role[]).map((r) => r.metadata.name);
    expect(names.filter((n) => n.startsWith('r0'))).toHaveLength(EXTRA);
    expect(all.stderr).toBe('');
  });

  it('request ls: one page of the caller own requests; --state one page; --all every request', async () => {
    const own = await admin('--format', 'json', 'request', 'ls');
    const mine = JSON.parse(own.stdout) as AccessRequest[];
    expect(mine.length).toBe(Math.ceil(EXTRA / 2));
    expect(mine.every((r) => r.user === 'admin')).toBe(true);
    expect(own.stderr).toBe('');

    const approved = await admin('--format', 'json', 'request', 'ls', '--state', 'APPROVED');
    expect(JSON.parse(approved.stdout) as AccessRequest[]).toHaveLength(CLI_PAGE_SIZE);
    expect(approved.stderr).toMatch(/^note: showing the first 1000 requests; more may follow/);

    const all = await admin('--format', 'json', 'request', 'ls', '--all');
    const ids = (JSON.parse(all.stdout) as AccessRequest[]).map((r) => r.id);
    expect(ids).toHaveLength(EXTRA);
    expect(new Set(ids).size).toBe(EXTRA);
  });
});
