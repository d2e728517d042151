// The seeds' flows through the real `accessbot` command against a real access API.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { apiFlags, type CliResult, runCli, startCli, waitUntil } from './cli-runner.js';
import { ROLES_YAML, USERS } from './fixtures.js';

let t: TestApi;
let dir: string;
const tokenFiles = new Map<string, string>();

beforeAll(async () => {
  t = await startTestApi({ rolesYaml: ROLES_YAML, users: USERS });
  dir = mkdtempSync(join(tmpdir(), 'accessbot-cli-'));
  for (const user of [...USERS.map((u) => u.name), 'admin']) {
    const { token } = await t.adminClient.issueToken(user, { description: 'cli test' });
    const file = join(dir, `${user}.token`);
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    tokenFiles.set(user, file);
  }
});

afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const argsAs = (user: string, args: string[]) => [...apiFlags(t.api.url, tokenFiles.get(user)!), ...args];

/** `accessbot` as `user`, against the test API. */
function as(user: string, ...args: string[]): Promise<CliResult> {
  return runCli(argsAs(user, args));
}

/** `request create` without --nowait, left running once the CLI says it waits for a decision. */
async function createAndWait(user: string, roles: string, reason: string) {
  const waiting = startCli(argsAs(user, ['request', 'create', '--roles', roles, '--reason', reason]));
  await waitUntil(() => waiting.stdout().includes('Waiting for request approval...'), 'the CLI to wait');
  return { waiting, id: requestIdOf(waiting.stdout()) };
}

/** `accessbot request create --roles <roles> --reason <reason> [more]` as `user`. */
function createAs(user: string, roles: string, reason: string, ...more: string[]): Promise<CliResult> {
  return as(user, 'request', 'create', '--roles', roles, '--reason', reason, ...more);
}

const lastLine = (out: string) => out.trimEnd().split('\n').at(-1);

function requestIdOf(out: string): string {
  const m = /^Request ID: ([0-9a-f-]{36})$/m.exec(out);
  if (!m) throw new Error(`no request ID in:\n${out}`);
  return m[1]!;
}

function expectOk(r: CliResult): void {
  expect(r.stderr, r.stderr).toBe('');
  expect(r.code).toBe(0);
}

describe('role request (Role Access Requests guide)', { timeout: 90_000 }, () => {
  it('contractor requests dba, approver lists and approves, requester sees APPROVED', async () => {
    const created = await createAs('carol', 'dba', 'ticket #123', '--nowait');
    expectOk(created);
    const id = requestIdOf(created.stdout);
    expect(created.stdout).toBe(
      [
        'Creating request...',
        `Request ID: ${id}`,
        'Username:   carol',
        'Roles:      dba',
        'Reason:     "ticket #123"',
        'Reviewers:  [none] (suggested)',
        'Status:     PENDING',
        '',
        "hint: use 'accessbot request show <request-id>' to follow the request",
        '',
      ].join('\n'),
    );

    const listed = await as('bob', 'request', 'ls');
    expectOk(listed);
    const lines = listed.stdout.split('\n');
    expect(lines[0]).toMatch(/^ID {35}User +Roles +Resources +Created At \(UTC\) +Status$/);
    expect(lines[1]).toMatch(/^-{36} -+ -+ -+ -{19} -+$/);
    const row = lines.find((l) => l.startsWith(id));
    expect(row).toMatch(
      new RegExp(`^${id} carol +dba +\\d\\d [A-Z][a-z]{2} \\d\\d \\d\\d:\\d\\d UTC PENDING$`),
    );
    expect(listed.stdout).toContain("hint: use 'accessbot request show <request-id>' for additional details");

    const reviewed = await as('bob', 'request', 'review', '--approve', '--reason', 'looks fine', id);
    expectOk(reviewed);
    expect(reviewed.stdout).toBe('Successfully submitted review.  Request state: APPROVED\n');

    const mine = await as('carol', 'request', 'ls');
    expect(mine.stdout.split('\n').find((l) => l.startsWith(id))).toMatch(/ APPROVED$/);
    const shown = await as('carol', 'request', 'show', id);
    expectOk(shown);
    expect(shown.stdout).toContain('Status:     APPROVED\n');
    expect(shown.stdout).toMatch(/Reviews:\n {2}bob: APPROVED, at .+ UTC, reason="looks fine"\n/);
    expect(shown.stdout).toMatch(/Granted: {4}dba until .+ UTC/);
  });

  it('waits for the decision without --nowait and exits 0 once another user approves', async () => {
    const { waiting, id } = await createAndWait('carol', 'dba', 'incident 7');
    // Still waiting: nothing has decided yet.
    expect(waiting.child.exitCode).toBeNull();

    const bob = await t.clientFor('bob');
    await bob.submitReview(id, { proposedState: 'APPROVED', reason: 'go ahead' });
    const done = await waiting.done;
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(lastLine(done.stdout)).toBe('Approval received, reason="go ahead"');
  });

  it('a waiting requester who may watch the event log is told of a denial and exits 4', async () => {
    const { waiting, id } = await createAndWait('olga', 'analyst', 'report');
    const sam = await t.clientFor('sam');
    await sam.submitReview(id, { proposedState: 'DENIED', reason: 'not today' });
    const done = await waiting.done;
    expect(done.code).toBe(4);
    expect(lastLine(done.stdout)).toBe('Request denied, reason="not today"');
  });

  it('a waiting request that expires ends the wait with exit 4', async () => {
    const r = await createAs('carol', 'dba', 'quick', '--request-ttl', '2s');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('Waiting for request approval...');
    expect(lastLine(r.stdout)).toBe('Request expired before it was approved');
  });

  it('admin approve grants only the --roles subset, with reason and annotations', async () => {
    const created = await as(
      'olga',
      'request',
      'create',
      '--roles',
      'dba,analyst',
      '--reason',
      'migration',
      '--nowait',
    );
    expectOk(created);
    const id = requestIdOf(created.stdout);
    expect(created.stdout).toContain('Roles:      dba, analyst\n');

    const approved = await as(
      'admin',
      'admin',
      'approve',
      id,
      '--roles',
      'dba',
      '--reason',
      'db only',
      '--annotations',
      'ticket=T-1,ticket=T-2',
    );
    expectOk(approved);
    expect(approved.stdout).toBe(`Request ${id} APPROVED (granted: dba)\n`);

    const json = await as('olga', '--format', 'json', 'request', 'show', id);
    expectOk(json);
    const req = JSON.parse(json.stdout) as AccessRequest;
    expect(req.state).toBe('APPROVED');
    expect(req.roles).toEqual(['dba', 'analyst']);
    expect(req.approvedRoles).toEqual(['dba']);
    expect(req.resolveReason).toBe('db only');
    expect(req.resolveAnnotations).toEqual({ ticket: ['T-1', 'T-2'] });
  });

  it('admin deny resolves a pending request as DENIED', async () => {
    const created = await createAs('carol', 'dba', 'again', '--nowait');
    const id = requestIdOf(created.stdout);
    const denied = await as('admin', 'admin', 'deny', id, '--reason', 'no');
    expectOk(denied);
    expect(denied.stdout).toBe(`Request ${id} DENIED\n`);
    expect((await t.adminClient.getRequest(id)).state).toBe('DENIED');
  });
});

describe('resource request (Resource Access Requests guide)', { timeout: 90_000 }, () => {
  const node = '/teleport.example.com/node/bbb56211-7b54-4f9e-bee9-b68ea156be5f';

  it('prints the resource block, and the reviewer list truncates resources with [+]', async () => {
    const created = await as(
      'alice',
      'request',
      'create',
      '--resource',
      node,
      '--reason',
      'responding to incident 123',
      '--nowait',
    );
    expectOk(created);
    const id = requestIdOf(created.stdout);
    expect(created.stdout).toContain(
      [
        `Request ID: ${id}`,
        'Username:   alice',
        'Roles:      access',
        `Resources:  ["${node}"]`,
        'Reason:     "responding to incident 123"',
        'Reviewers:  [none] (suggested)',
        'Status:     PENDING',
      ].join('\n'),
    );

    const listed = await as('rita', 'request', 'ls');
    expectOk(listed);
    expect(listed.stdout.split('\n').find((l) => l.startsWith(id))).toMatch(
      new RegExp(`^${id} alice +access +\\["/teleport\\.example\\.\\.\\.\\. \\[\\+\\] .+ UTC PENDING$`),
    );
    expect(listed.stdout).toContain(
      '[+] Requested resources truncated, use `accessbot request show <request-id>` to view the full list',
    );

    const reviewed = await as('rita', 'request', 'review', '--approve', id);
    expect(reviewed.stdout).toBe('Successfully submitted review.  Request state: APPROVED\n');
  });

  it('--format json lists requests as JSON objects', async () => {
    const r = await as('rita', '--format', 'json', 'request', 'ls', '--all');
    expectOk(r);
    const list = JSON.parse(r.stdout) as AccessRequest[];
    expect(list.length).toBeGreaterThan(0);
    expect(list.every((x) => typeof x.id === 'string' && Array.isArray(x.reviews))).toBe(true);
  });
});

describe('deleting a request', { timeout: 90_000 }, () => {
  it('an administrator removes it; the requester cannot; it is gone afterwards', async () => {
    const created = await createAs('carol', 'dba', 'to be deleted', '--nowait');
    expectOk(created);
    const id = requestIdOf(created.stdout);
    const refused = await as('carol', 'request', 'rm', id);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('FORBIDDEN');
    const removed = await as('admin', 'request', 'rm', id);
    expectOk(removed);
    expect(removed.stdout).toBe(`request "${id}" has been deleted\n`);
    const shown = await as('admin', 'request', 'show', id);
    expect(shown.code).not.toBe(0);
    expect(shown.stderr).toContain('REQUEST_NOT_FOUND');
  });
});
