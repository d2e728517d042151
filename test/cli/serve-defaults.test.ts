// `accessbot serve` on the embedded defaults: no config file, nothing but the listen ports
// (tests always take port 0) and the test Redis (tests never touch whatever Redis the machine
// runs on 127.0.0.1:6379, so the private redis-server fallback is the host suite's to test).
// It must start the API and the host, answer the CLI through the default ./data/admin.token,
// and stop cleanly on SIGTERM.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli, waitUntil } from './cli-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'accessbot-defaults-'));
const serve = startCli(['serve'], {
  cwd: dir,
  env: {
    ACCESSBOT_API_LISTEN: '127.0.0.1:0',
    ACCESSBOT_HOST_LISTEN: '127.0.0.1:0',
    REDIS_URL: `unix://${process.env.ACCESSBOT_TEST_REDIS_SOCKET}`,
    ACCESSBOT_REDIS_PREFIX: `cli-defaults-${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'warn',
  },
});

afterAll(async () => {
  if (serve.child.exitCode === null) {
    serve.child.kill('SIGKILL');
    await serve.done;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('accessbot serve with no configuration', { timeout: 120_000 }, () => {
  it('starts, serves the CLI with the default token file, and stops cleanly', async () => {
    await waitUntil(
      () => serve.stdout().includes('plugin host listening on') || serve.child.exitCode !== null,
      'serve to start',
      90_000,
    );
    const api = /^access API listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(serve.stdout());
    expect(api, `${serve.stdout()}\n${serve.stderr()}`).not.toBeNull();
    expect(serve.stdout()).toContain(`admin token file: ${join(dir, 'data', 'admin.token')}`);

    const listed = await runCli(['--api', api![1]!, 'roles', 'ls'], { cwd: dir });
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(/^accessbot-admin /m);

    serve.child.kill('SIGTERM');
    const done = await serve.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('SIGTERM received, shutting down');
  });
});
