// `accessbot api` at start, as an operator meets it: a data folder it cannot write or a full
// disk is one line naming the path and the cause, exit 5 (not INTERNAL, not "API refused"); a
// first start that failed half-way leaves the next start able to write a working admin token;
// what it creates is private (folders 0700, the database and the token 0600), and a token file
// left readable by others is narrowed.

import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { type RunningCli, runCli, startCli, waitUntil } from './cli-runner.js';

const dirs: string[] = [];
const running: RunningCli[] = [];
afterAll(async () => {
  for (const api of running) {
    if (api.child.exitCode === null) {
      api.child.kill('SIGTERM');
      await api.done;
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'accessbot-api-start-'));
  dirs.push(dir);
  return dir;
}

const env = (extra: Record<string, string>) => ({
  ACCESSBOT_API_LISTEN: '127.0.0.1:0',
  LOG_LEVEL: 'warn',
  ...extra,
});

/** Starts `accessbot api`, waits until it listens, returns its URL. */
async function startApi(cwd: string, extra: Record<string, string> = {}): Promise<string> {
  const api = startCli(['api'], { cwd, env: env(extra) });
  running.push(api);
  await waitUntil(() => /access API listening on/.test(api.stdout()) || api.child.exitCode !== null, 'api');
  const m = /^access API listening on (http:\/\/\S+)$/m.exec(api.stdout());
  if (!m) throw new Error(`api did not start:\n${api.stdout()}\n${api.stderr()}`);
  return m[1]!;
}

async function stopAll() {
  for (const api of running.splice(0)) {
    api.child.kill('SIGTERM');
    await api.done;
  }
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('accessbot api at start', { timeout: 120_000 }, () => {
  it('an unwritable data folder is one line naming the path and the cause, exit 5', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'not-a-folder'), 'x');
    const dataDir = join(dir, 'not-a-folder', 'data');
    const result = await runCli(['api'], { cwd: dir, env: env({ ACCESSBOT_DATA_DIR: dataDir }) });
    expect(result.code).toBe(EXIT.ENVIRONMENT);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error \[FILE_ACCESS\]: /);
    expect(lines[0]).toContain(dataDir);
    expect(lines[0]).toContain('ENOTDIR');
    expect(lines[0]).not.toContain('bug');
  });

  it('a full disk under the database is one line naming the path and the cause, exit 5', async () => {
    const dir = tempDir();
    // /dev/full answers every write with ENOSPC: SQLite meets a full disk as it would for real.
    const result = await runCli(['api'], { cwd: dir, env: env({ ACCESSBOT_DB_PATH: '/dev/full' }) });
    expect(result.code).toBe(EXIT.ENVIRONMENT);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error \[STORAGE_FULL\]: .*\/dev\/full.*full/);
  });

  it('a first start that could not write the token file leaves the next start able to', async () => {
    const dir = tempDir();
    // The database folder (./data) is writable, the token folder is not: a file is in its way.
    const tokenDir = join(dir, 'tokens');
    writeFileSync(tokenDir, 'in the way');
    const failed = await runCli(['api'], { cwd: dir, env: env({ ACCESSBOT_DATA_DIR: tokenDir }) });
    expect(failed.code).toBe(EXIT.ENVIRONMENT);
    expect(failed.stderr).toContain(tokenDir);

    rmSync(tokenDir);
    const url = await startApi(dir, { ACCESSBOT_DATA_DIR: tokenDir });
    const tokenFile = join(tokenDir, 'admin.token');
    const users = await runCli(['--api', url, '--token-file', tokenFile, 'users', 'ls'], { cwd: dir });
    expect(users.stderr).toBe('');
    expect(users.code).toBe(0);
    expect(users.stdout).toContain('admin');
    await stopAll();
  });

  it('creates its folder 0700 and the database and token 0600; a leftover readable token file is narrowed', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    await startApi(dir);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'accessbot.db'))).toBe(0o600);
    expect(mode(join(dataDir, 'admin.token'))).toBe(0o600);
    await stopAll();

    // A first start over a token file someone left 0644: the new token does not inherit the mode.
    const other = tempDir();
    mkdirSync(join(other, 'data'));
    writeFileSync(join(other, 'data', 'admin.token'), 'stale\n', { mode: 0o644 });
    chmodSync(join(other, 'data', 'admin.token'), 0o644);
    await startApi(other);
    expect(mode(join(other, 'data', 'admin.token'))).toBe(0o600);
    expect(readFileSync(join(other, 'data', 'admin.token'), 'utf8')).toMatch(/^abt_/);
    await stopAll();

    // A later start narrows a token file (and database) that became readable by others.
    chmodSync(join(other, 'data', 'admin.token'), 0o644);
    chmodSync(join(other, 'data', 'accessbot.db'), 0o644);
    await startApi(other);
    expect(mode(join(other, 'data', 'admin.token'))).toBe(0o600);
    expect(mode(join(other, 'data', 'accessbot.db'))).toBe(0o600);
    await stopAll();
  });
});
