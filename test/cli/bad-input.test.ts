// Bad input through the real `accessbot` command: one clear line on stderr with a stable code
// and a hint, the documented exit code, and nothing changed on the API.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';
import { apiFlags, type CliResult, runCli } from './cli-runner.js';
import { ROLES_YAML, USERS } from './fixtures.js';

let t: TestApi;
let dir: string;
let closedPortUrl: string;
const tokenFiles = new Map<string, string>();

interface Case {
  name: string;
  /** `user` null = no token flag at all. */
  user: string | null;
  args: string[];
  code: string;
  exit: number;
  /** Also run from this cwd (default: the temp dir, which has no ./data/admin.token). */
  api?: 'closed';
}

const node = '/teleport.example.com/node/web-1';
const CASES: Case[] = [
  {
    name: 'malformed roles YAML',
    user: 'admin',
    args: ['roles', 'apply', '-f', 'bad.yaml'],
    code: 'INVALID_YAML',
    exit: 1,
  },
  {
    name: 'invalid role document',
    user: 'admin',
    args: ['roles', 'apply', '-f', 'badrole.yaml'],
    code: 'INVALID_ROLE',
    exit: 1,
  },
  {
    name: 'unknown role requested',
    user: 'carol',
    args: ['request', 'create', '--roles', 'no-such-role', '--reason', 'x', '--nowait'],
    code: 'UNKNOWN_ROLE',
    exit: 1,
  },
  {
    name: 'unknown role for a user',
    user: 'admin',
    args: ['users', 'add', 'zed', '--roles', 'no-such-role'],
    code: 'UNKNOWN_ROLE',
    exit: 1,
  },
  {
    name: 'malformed resource ID',
    user: 'alice',
    args: ['request', 'create', '--resource', 'teleport.example.com/node', '--reason', 'x', '--nowait'],
    code: 'INVALID_RESOURCE_ID',
    exit: 1,
  },
  {
    name: 'oversized reason',
    user: 'carol',
    args: ['request', 'create', '--roles', 'dba', '--reason', 'é'.repeat(2100), '--nowait'],
    code: 'REASON_TOO_LONG',
    exit: 1,
  },
  {
    name: 'roles and resources mixed',
    user: 'alice',
    args: ['request', 'create', '--roles', 'dba', '--resource', node, '--reason', 'x', '--nowait'],
    code: 'MIXED_ROLES_AND_RESOURCES',
    exit: 1,
  },
  {
    name: 'missing mandatory reason',
    user: 'carol',
    args: ['request', 'create', '--roles', 'dba', '--nowait'],
    code: 'REASON_REQUIRED',
    exit: 1,
  },
  {
    name: 'bad request TTL',
    user: 'carol',
    args: ['request', 'create', '--roles', 'dba', '--reason', 'x', '--request-ttl', 'soon', '--nowait'],
    code: 'INVALID_DURATION',
    exit: 1,
  },
  { name: 'invalid token', user: 'forged', args: ['request', 'ls'], code: 'INVALID_TOKEN', exit: 2 },
  { name: 'no token anywhere', user: null, args: ['request', 'ls'], code: 'UNAUTHENTICATED', exit: 2 },
  {
    name: 'not allowed',
    user: 'carol',
    args: ['users', 'add', 'mallory', '--roles', 'dba'],
    code: 'FORBIDDEN',
    exit: 2,
  },
  {
    name: 'review of an unknown request',
    user: 'bob',
    args: ['request', 'review', '--approve', '00000000-0000-4000-8000-000000000000'],
    code: 'REQUEST_NOT_FOUND',
    exit: 2,
  },
  {
    name: 'approve and deny at once',
    user: 'bob',
    args: ['request', 'review', '--approve', '--deny', 'x'],
    code: 'BAD_REQUEST',
    exit: 1,
  },
  { name: 'unknown flag', user: 'bob', args: ['request', 'ls', '--colour'], code: 'BAD_REQUEST', exit: 1 },
  {
    name: 'bad traits',
    user: 'admin',
    args: ['users', 'add', 'zed', '--roles', 'dba', '--traits', 'nokey'],
    code: 'BAD_REQUEST',
    exit: 1,
  },
  {
    name: 'API not reachable',
    user: 'admin',
    args: ['request', 'ls'],
    code: 'API_UNAVAILABLE',
    exit: 3,
    api: 'closed',
  },
];

const results = new Map<string, CliResult>();
let before: unknown;
let after: unknown;

async function snapshot() {
  const [requests, roles, users] = await Promise.all([
    t.adminClient.listRequests(),
    t.adminClient.listRoles(),
    t.adminClient.listUsers(),
  ]);
  return { requests, roles, users };
}

async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  t = await startTestApi({ rolesYaml: ROLES_YAML, users: USERS });
  dir = mkdtempSync(join(tmpdir(), 'accessbot-cli-bad-'));
  closedPortUrl = await closedPort();
  for (const user of ['carol', 'alice', 'bob', 'admin']) {
    const { token } = await t.adminClient.issueToken(user);
    tokenFiles.set(user, join(dir, `${user}.token`));
    writeFileSync(tokenFiles.get(user)!, token);
  }
  tokenFiles.set('forged', join(dir, 'forged.token'));
  writeFileSync(tokenFiles.get('forged')!, 'abt_forgedforgedforgedforgedforgedforgedforg');
  writeFileSync(join(dir, 'bad.yaml'), 'kind: role\nmetadata:\n  name: [oops\nspec: {}\n');
  writeFileSync(
    join(dir, 'badrole.yaml'),
    'kind: role\nversion: v5\nmetadata:\n  name: fine\n---\nkind: rolez\nmetadata: {}\n',
  );

  before = await snapshot();
  // Two at a time: enough to keep the suite short without starving a 2-core machine.
  const queue = [...CASES];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const api = c.api === 'closed' ? closedPortUrl : t.api.url;
      const auth = c.user === null ? [] : ['--token-file', tokenFiles.get(c.user)!];
      results.set(c.name, await runCli(['--api', api, ...auth, ...c.args], { cwd: dir }));
    }
  };
  await Promise.all([worker(), worker()]);
  after = await snapshot();
}, 180_000);

afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('bad input gets one clear line and a non-zero exit', () => {
  for (const c of CASES) {
    it(`${c.name} → ${c.code}, exit ${c.exit}`, () => {
      const r = results.get(c.name)!;
      expect(r.stderr.endsWith('\n')).toBe(true);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^error \\[${c.code}\\]: \\S.* \\(.+\\)$`));
      expect(r.stderr).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack trace
      expect(r.code).toBe(c.exit);
    });
  }

  it('changed nothing on the API', () => {
    expect(after).toEqual(before);
  });

  it('names the line of a YAML syntax error', () => {
    expect(results.get('malformed roles YAML')!.stderr).toMatch(/line \d+, column \d+/);
  });

  it('does not echo a forged token back', () => {
    expect(results.get('invalid token')!.stderr).not.toContain('abt_forged');
  });
});

describe('terminal safety', { timeout: 90_000 }, () => {
  it('shows control characters in a reason escaped, never raw', async () => {
    const carol = await t.clientFor('carol');
    const req = await carol.createRequest({
      roles: ['dba'],
      reason: 'db\u001b[2J\u001b[31m fix\nfake: line',
    });
    const r = await runCli([...apiFlags(t.api.url, tokenFiles.get('bob')!), 'request', 'show', req.id]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('Reason:     "db\\u001b[2J\\u001b[31m fix\\nfake: line"\n');
  });

  it('keeps an error about a hostile name on one escaped line', async () => {
    const r = await runCli([
      ...apiFlags(t.api.url, tokenFiles.get('admin')!),
      'users',
      'rm',
      'x\u001b[2J\ny',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('\u001b');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error \[USER_NOT_FOUND\]: /);
  });
});
