// Scale-out mode: `accessbot api` and `accessbot host --api URL` as separate processes. The host
// authenticates with a token an administrator issued through the CLI, and delivers requests.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { type RunningCli, runCli, startCli, waitUntil } from './cli-runner.js';
import { EXAMPLE_ROLES_FILE } from './fixtures.js';

const SECRET = `hook-${randomBytes(12).toString('hex')}`;
let dir: string;
let receiver: Receiver;
let api: RunningCli;
let host: RunningCli | undefined;
let apiUrl: string;
let hostEnv: NodeJS.ProcessEnv;

async function stop(proc: RunningCli | undefined) {
  if (proc && proc.child.exitCode === null) {
    proc.child.kill('SIGKILL');
    await proc.done;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'accessbot-scale-'));
  receiver = await startReceiver({ secret: SECRET });
  writeFileSync(
    join(dir, 'host.yaml'),
    `
host:
  listen: 127.0.0.1:0
  redis:
    prefix: cli-scale-${randomBytes(4).toString('hex')}
  routing:
    - roles: ['*']
      targets:
        webhook: [${receiver.urlFor('/all')}]
log:
  level: warn
plugins:
  webhook:
    secret: \${HOOK_SECRET}
`,
  );
  api = startCli(['api'], {
    cwd: dir,
    env: { ACCESSBOT_API_LISTEN: '127.0.0.1:0', ACCESSBOT_ROLES_FILE: EXAMPLE_ROLES_FILE, LOG_LEVEL: 'warn' },
  });
  await waitUntil(
    () => /access API listening on/.test(api.stdout()) || api.child.exitCode !== null,
    'api',
    60_000,
  );
  const m = /^access API listening on (http:\/\/\S+)$/m.exec(api.stdout());
  if (!m) throw new Error(`api did not start:\n${api.stdout()}\n${api.stderr()}`);
  apiUrl = m[1]!;
  hostEnv = { REDIS_URL: `unix://${process.env.ACCESSBOT_TEST_REDIS_SOCKET}`, HOOK_SECRET: SECRET };
}, 90_000);

afterAll(async () => {
  await stop(host);
  await stop(api);
  await receiver?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('accessbot api + accessbot host', { timeout: 120_000 }, () => {
  it('the API alone does not start a host', () => {
    expect(api.stdout()).not.toContain('plugin host');
  });

  it('a host started with --api and ACCESSBOT_HOST_TOKEN delivers requests made on the API', async () => {
    const admin = (...args: string[]) => runCli(['--api', apiUrl, ...args], { cwd: dir });
    expect((await admin('users', 'add', 'host-1', '--roles', 'accessbot-plugin')).code).toBe(0);
    expect((await admin('users', 'add', 'carol', '--roles', 'contractor')).code).toBe(0);
    const hostToken = (await admin('users', 'token', 'host-1')).stdout.split('\n')[0]!;
    const carolToken = (await admin('users', 'token', 'carol')).stdout.split('\n')[0]!;

    host = startCli(['host', '--api', apiUrl, '--config', join(dir, 'host.yaml')], {
      cwd: dir,
      env: { ...hostEnv, ACCESSBOT_HOST_TOKEN: hostToken },
    });
    await waitUntil(
      () => host!.stdout().includes('plugin host listening on') || host!.child.exitCode !== null,
      'host',
      60_000,
    );
    expect(host.stdout(), host.stderr()).toMatch(/^plugin host listening on http:\/\/127\.0\.0\.1:\d+$/m);

    const created = await runCli(
      [
        '--api',
        apiUrl,
        '--token',
        carolToken,
        'request',
        'create',
        '--roles',
        'dba',
        '--reason',
        'scale out',
        '--nowait',
      ],
      { cwd: dir },
    );
    const id = /^Request ID: (\S+)$/m.exec(created.stdout)![1]!;
    await waitUntil(() => receiver.deliveries().some((d) => d.requestId === id), 'the delivery', 60_000);

    host.child.kill('SIGINT');
    const done = await host.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('SIGINT received, shutting down');
  });

  it('a host without an API URL is refused with one line', async () => {
    const r = await runCli(['host', '--config', join(dir, 'host.yaml')], { cwd: dir, env: hostEnv });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error \[CONFIG_INVALID\]: the host needs the API URL: pass --api URL or set host\.api\.url \(.+\)\n$/,
    );
  });

  it('the API stops on SIGTERM', async () => {
    api.child.kill('SIGTERM');
    expect((await api.done).code).toBe(0);
  });
});
