// `accessbot serve` end to end: one process runs the API and the plugin host on the embedded
// defaults (./accessbot.yaml, ./data, admin token file), a real Redis and a real webhook
// receiver; the everyday CLI verbs drive it, `deliveries` shows and replays a dead letter,
// and SIGTERM shuts it down cleanly.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { type RunningCli, runCli, startCli, waitUntil } from './cli-runner.js';
import { EXAMPLE_ROLES_FILE } from './fixtures.js';

const SECRET = `hook-${randomBytes(12).toString('hex')}`;
let dir: string;
let receiver: Receiver;
let serve: RunningCli;
let apiUrl: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'accessbot-serve-'));
  receiver = await startReceiver({ secret: SECRET });
  // The `bad` endpoint fails until told otherwise; one attempt sends it to the dead-letter list.
  let badFails = true;
  receiver.answer((_call, path) => (path === '/bad' && badFails ? { status: 500 } : null));
  (globalThis as { healBad?: () => void }).healBad = () => {
    badFails = false;
  };
  writeFileSync(
    join(dir, 'accessbot.yaml'),
    `
api:
  roles_file: ${EXAMPLE_ROLES_FILE}
host:
  redis:
    prefix: cli-serve-${randomBytes(4).toString('hex')}
  delivery:
    attempts: 1
    backoff: 100ms
  routing:
    - roles: ['dba']
      targets:
        webhook: [good, bad]
log:
  level: warn
plugins:
  webhook:
    secret: \${HOOK_SECRET}
    endpoints:
      good: ${receiver.urlFor('/good')}
      bad: ${receiver.urlFor('/bad')}
`,
  );
  const socket = process.env.ACCESSBOT_TEST_REDIS_SOCKET;
  if (!socket) throw new Error('the test Redis is not running (global setup)');
  env = {
    ACCESSBOT_API_LISTEN: '127.0.0.1:0',
    ACCESSBOT_HOST_LISTEN: '127.0.0.1:0',
    REDIS_URL: `unix://${socket}`,
    HOOK_SECRET: SECRET,
  };
  serve = startCli(['serve'], { cwd: dir, env });
  await waitUntil(
    () => serve.stdout().includes('plugin host listening on') || serve.child.exitCode !== null,
    'serve to start',
    60_000,
  );
  const m = /^access API listening on (http:\/\/\S+)$/m.exec(serve.stdout());
  if (!m) throw new Error(`serve did not start:\n${serve.stdout()}\n${serve.stderr()}`);
  apiUrl = m[1]!;
}, 90_000);

afterAll(async () => {
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGKILL');
    await serve.done;
  }
  await receiver?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The CLI from the serve folder: the admin token comes from ./data/admin.token by default. */
function cli(...args: string[]) {
  return runCli(['--api', apiUrl, ...args], { cwd: dir, env });
}

/** `request create --roles dba --nowait` with a user's token; resolves with the request ID. */
async function createDbaRequest(token: string, reason: string): Promise<string> {
  const created = await runCli(
    [
      '--api',
      apiUrl,
      '--token',
      token,
      'request',
      'create',
      '--roles',
      'dba',
      '--reason',
      reason,
      '--nowait',
    ],
    { cwd: dir },
  );
  expect(created.code).toBe(0);
  return /^Request ID: (\S+)$/m.exec(created.stdout)![1]!;
}

describe('accessbot serve', () => {
  it('writes the admin token file and says where it is', () => {
    const tokenFile = join(dir, 'data', 'admin.token');
    // Relative api: paths are resolved against the working directory once; the path shown is that.
    expect(serve.stdout()).toContain(`admin token file: ${tokenFile}`);
    expect(existsSync(tokenFile)).toBe(true);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
  });

  it('serves the everyday verbs and delivers a new request through the plugin host', async () => {
    const roles = await cli('roles', 'ls');
    expect(roles.code).toBe(0);
    expect(roles.stdout).toMatch(/^contractor +dba /m); // applied from api.roles_file at start

    expect(
      (await cli('users', 'add', 'carol', '--roles', 'contractor', '--email', 'carol@example.com')).stdout,
    ).toBe('User carol saved with roles contractor\n');
    const issued = await cli('users', 'token', 'carol', '--ttl', '1h');
    expect(issued.code).toBe(0);
    const token = issued.stdout.split('\n')[0]!;
    expect(token).toMatch(/^abt_/);

    const id = await createDbaRequest(token, 'ticket #9');

    await waitUntil(
      () => receiver.deliveries().some((d) => d.requestId === id && d.path === '/good'),
      'the webhook delivery',
      30_000,
    );
    const posted = receiver.deliveries().find((d) => d.requestId === id && d.path === '/good')!;
    expect(posted.event).toBe('request.posted');
    expect(posted.state).toBe('PENDING');

    // The failing endpoint's delivery lands in the dead-letter list…
    let failed = '';
    for (let i = 0; i < 30 && !failed.includes(id); i++) {
      const r = await cli('deliveries', 'ls', '--failed');
      expect(r.code).toBe(0);
      failed = r.stdout;
    }
    expect(failed).toMatch(new RegExp(`^\\S+ +webhook +\\S+ +${id} +failed +1 `, 'm'));

    // …and a retry after the endpoint recovers delivers it.
    (globalThis as { healBad?: () => void }).healBad!();
    const retried = await cli('deliveries', 'retry', '--all');
    expect(retried.stdout).toBe('1 delivery requeued\n');
    await waitUntil(
      () => receiver.deliveries().some((d) => d.requestId === id && d.path === '/bad'),
      'the replayed delivery',
      30_000,
    );
    const after = await cli('--format', 'json', 'deliveries', 'ls', '--failed');
    expect(JSON.parse(after.stdout)).toEqual([]);
  }, 120_000);

  it('re-reads the routing on SIGHUP, and keeps the running config when the file is broken', async () => {
    const config = join(dir, 'accessbot.yaml');
    const original = readFileSync(config, 'utf8');
    const rerouted = original.replace('webhook: [good, bad]', `webhook: [${receiver.urlFor('/reloaded')}]`);
    expect(rerouted).not.toBe(original);
    writeFileSync(config, rerouted);
    serve.child.kill('SIGHUP');
    await waitUntil(
      () => serve.stdout().includes('SIGHUP received: routing reloaded (1 rules'),
      'the reload',
      15_000,
    );

    const token = (await cli('users', 'token', 'carol', '--ttl', '1h')).stdout.split('\n')[0]!;
    const first = await createDbaRequest(token, 'after the reload');
    await waitUntil(
      () => receiver.deliveries().some((d) => d.requestId === first && d.path === '/reloaded'),
      'a delivery on the new route',
      30_000,
    );

    // A broken file: the error is reported and the rules in force stay.
    writeFileSync(config, rerouted.replace("roles: ['dba']", 'roles: dba'));
    serve.child.kill('SIGHUP');
    await waitUntil(
      () => serve.stderr().includes('SIGHUP received: config not reloaded'),
      'the refusal',
      15_000,
    );
    expect(serve.stderr()).toContain('host.routing[0].roles: Invalid input: expected array');
    const second = await createDbaRequest(token, 'after a broken reload');
    await waitUntil(
      () => receiver.deliveries().some((d) => d.requestId === second && d.path === '/reloaded'),
      'a delivery on the route still in force',
      30_000,
    );
    expect(
      receiver
        .deliveries()
        .filter((d) => d.requestId === second)
        .map((d) => d.path),
    ).toEqual(['/reloaded']);
  }, 90_000);

  it('shuts down cleanly on SIGTERM', async () => {
    serve.child.kill('SIGTERM');
    const done = await serve.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('SIGTERM received, shutting down');
  });
});
