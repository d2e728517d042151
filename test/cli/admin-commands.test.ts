// users, roles, config check, version and help through the real `accessbot` command.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/access/types.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { runCli } from './cli-runner.js';
import { EXAMPLE_ROLES_FILE } from './fixtures.js';

let t: TestApi;
let dir: string;

beforeAll(async () => {
  t = await startTestApi();
  dir = mkdtempSync(join(tmpdir(), 'accessbot-cli-admin-'));
});

afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** As the bootstrap admin, with the token taken from ACCESSBOT_TOKEN_FILE. */
function admin(...args: string[]) {
  return runCli(['--api', t.api.url, ...args], {
    env: { ACCESSBOT_TOKEN_FILE: t.api.adminTokenFile },
    cwd: dir,
  });
}

describe('roles', { timeout: 90_000 }, () => {
  it('apply prints each role of a multi-document file; ls lists them; rm removes one', async () => {
    const applied = await admin('roles', 'apply', '-f', EXAMPLE_ROLES_FILE);
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trimEnd().split('\n')).toEqual([
      'role "contractor" has been applied',
      'role "dba" has been applied',
      'role "approver" has been applied',
      'role "requester" has been applied',
      'role "access" has been applied',
      'role "reviewer" has been applied',
    ]);
    const listed = await admin('roles', 'ls');
    expect(listed.stdout).toMatch(/^Role +Can request +Can review +Description$/m);
    expect(listed.stdout).toMatch(/^approver +dba +Can approve requests for the dba role$/m);

    const removed = await admin('roles', 'rm', 'reviewer');
    expect(removed.stdout).toBe('role "reviewer" has been deleted\n');
    const names = (await t.adminClient.listRoles()).map((r) => r.metadata.name);
    expect(names).toContain('approver');
    expect(names).not.toContain('reviewer');
  });
});

describe('users', { timeout: 90_000 }, () => {
  it('add with traits, ls as JSON, token that works, rm that revokes it', async () => {
    await t.adminClient.applyRoles([{ kind: 'role', metadata: { name: 'viewer' }, spec: {} }]);
    const added = await admin(
      'users',
      'add',
      'erin',
      '--roles',
      'viewer',
      '--email',
      'erin@example.com',
      '--traits',
      'team=db,team=ops,tz=UTC',
    );
    expect(added.stdout).toBe('User erin saved with roles viewer\n');

    const listed = await admin('--format', 'json', 'users', 'ls');
    const erin = (JSON.parse(listed.stdout) as User[]).find((u) => u.name === 'erin');
    expect(erin).toMatchObject({
      email: 'erin@example.com',
      roles: ['viewer'],
      traits: { team: ['db', 'ops'], tz: ['UTC'] },
    });
    expect((await admin('users', 'ls')).stdout).toMatch(
      /^erin +viewer +erin@example\.com +\d\d [A-Z][a-z]{2} \d\d \d\d:\d\d UTC$/m,
    );

    const issued = await admin('users', 'token', 'erin', '--ttl', '2h');
    expect(issued.code).toBe(0);
    // stdout is the token alone (so `users token erin > erin.token` works); the note is on stderr.
    expect(issued.stdout).toMatch(/^abt_[A-Za-z0-9_-]{20,}\n$/);
    const token = issued.stdout.trim();
    expect(issued.stderr).toMatch(/^The token above acts as erin until .+ UTC\.$/m);
    const asErin = await runCli(['--api', t.api.url, '--token', token, 'request', 'ls'], { cwd: dir });
    expect(asErin.code).toBe(0);
    writeFileSync(join(dir, 'erin.token'), issued.stdout);
    const fromFile = await runCli(['--api', t.api.url, '--token-file', 'erin.token', 'request', 'ls'], {
      cwd: dir,
    });
    expect(fromFile.code).toBe(0);

    // A token file holding more than the token is refused without echoing what it holds.
    writeFileSync(join(dir, 'messy.token'), `${token}\nThe token above acts as erin\n`);
    const messy = await runCli(['--api', t.api.url, '--token-file', 'messy.token', 'request', 'ls'], {
      cwd: dir,
    });
    expect(messy.code).not.toBe(0);
    expect(messy.stderr).toMatch(/^error \[INVALID_TOKEN\]: messy\.token does not hold a single token/);
    expect(messy.stderr).not.toContain(token);

    expect((await admin('users', 'rm', 'erin')).stdout).toBe('User erin has been deleted\n');
    const revoked = await runCli(['--api', t.api.url, '--token', token, 'request', 'ls'], { cwd: dir });
    expect(revoked.code).toBe(2);
    expect(revoked.stderr).toMatch(/^error \[INVALID_TOKEN\]: /);
  });
});

describe('config check', { timeout: 60_000 }, () => {
  it('prints config OK with the file it read', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, 'api:\n  listen: 127.0.0.1:4000\nlog:\n  level: warn\n');
    const r = await runCli(['config', 'check', '--config', file], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`config OK: ${file}\n`);
  });

  it('lists every problem with its path and exits 1, without echoing secrets', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'api:',
        '  listen: everywhere',
        'host:',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: config syntax, not a JS template
        '  public_url: ${PUBLIC_URL}',
        '  delivery:',
        '    attempts: 0',
        '  api:',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: config syntax, not a JS template
        '    token: ${MISSING_TOKEN_VAR}',
        'plugins:',
        '  webhook:',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: config syntax, not a JS template
        '    secret: ${HOOK_SECRET}',
        '  teams_typo:',
        '    enabled: true',
        '',
      ].join('\n'),
    );
    const r = await runCli(['config', 'check', '--config', file], {
      cwd: dir,
      env: { PUBLIC_URL: 'not a url but secret-ish-value', HOOK_SECRET: 'short-secret' },
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `error [CONFIG_INVALID]: configuration has 6 problems in ${file} (each problem is listed below)`,
    );
    const unknownPlugin = lines.find((l) => l.startsWith('  plugins.teams_typo: '));
    expect(unknownPlugin).toMatch(
      /^ {2}plugins\.teams_typo: unknown plugin "teams_typo" \(installed: .*\bwebhook\b.*\)$/,
    );
    expect(
      lines
        .slice(1)
        .filter((l) => l !== unknownPlugin)
        .sort(),
    ).toEqual(
      [
        '  api.listen: host:port, e.g. 127.0.0.1:3080',
        '  host.api.token: environment variable MISSING_TOKEN_VAR is not set',
        '  host.delivery.attempts: Too small: expected number to be >=1',
        '  host.public_url: Invalid URL',
        '  plugins.webhook.secret: use at least 16 characters',
      ].sort(),
    );
    expect(r.stderr).not.toContain('secret-ish-value');
    expect(r.stderr).not.toContain('short-secret');
  });

  it('serve refuses an invalid config with every problem on one line, before starting anything', async () => {
    const file = join(dir, 'serve-bad.yaml');
    writeFileSync(file, 'api:\n  listen: nowhere\nlog:\n  level: loud\n');
    const r = await runCli(['serve', '--config', file], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error [CONFIG_INVALID]: configuration has 2 problems in ${file}: api.listen: host:port, e.g. 127.0.0.1:3080; ` +
        `log.level: Invalid option: expected one of "trace"|"debug"|"info"|"warn"|"error"|"fatal"|"silent" ` +
        "(run 'accessbot config check' to see every problem)\n",
    );
  });

  it('--config with a missing file is one clear line', async () => {
    const r = await runCli(['--config', join(dir, 'nope.yaml'), 'config', 'check'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`(file): cannot read config file ${join(dir, 'nope.yaml')} (ENOENT)`);
  });
});

describe('client commands with --config', { timeout: 60_000 }, () => {
  it('take the API address from api.listen and the token from api.data_dir, ignoring plugin blocks', async () => {
    const file = join(dir, 'client.yaml');
    writeFileSync(
      file,
      [
        'api:',
        `  listen: ${new URL(t.api.url).host}`,
        `  data_dir: ${dirname(t.api.adminTokenFile)}`,
        'plugins:',
        '  not_installed_here:',
        '    anything: 1',
        '',
      ].join('\n'),
    );
    const r = await runCli(['--config', file, 'roles', 'ls'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^accessbot-admin /m);
  });
});

describe('version and help', () => {
  it('version prints the package version', async () => {
    const r = await runCli(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^accessbot v\d+\.\d+\.\d+ \(node v20\.\d+\.\d+\)\n$/);
  });

  it('help documents the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3  the API (or, for serve/host/deliveries, Redis) could not be reached');
  });
});
