// A private redis-server per test run (or per fault test that restarts it), on a unix socket
// in a temp dir, so tests never touch whatever Redis the machine happens to run.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { privateRedisServer } from '../../src/host/redis/redis-connection.js';

export interface TestRedis {
  socket: string;
  dir: string;
  /** ioredis options for this instance. */
  options: { path: string; maxRetriesPerRequest: null };
  pid(): number;
  stop(): Promise<void>;
  /** SIGKILLs the server and starts a fresh one on the same socket (data is lost unless `keepData`). */
  restart(opts?: { downMs?: number }): Promise<void>;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export async function startTestRedis(opts: { appendOnly?: boolean } = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'accessbot-redis-'));
  // fsync on every write, so a SIGKILLed append-only server loses nothing the fault tests count.
  const { args, socket, pidFile } = privateRedisServer(dir, {
    appendOnly: opts.appendOnly ?? false,
    fsyncAlways: true,
  });
  const launch = async () => {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('redis-server', args, { stdio: 'ignore' });
      child.on('error', (err) =>
        reject(
          new Error(
            `cannot start redis-server (${err.message}); install it: apt-get install -y redis-server`,
          ),
        ),
      );
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`redis-server exited with ${code}`)),
      );
    });
    await waitFor(() => existsSync(socket) && existsSync(pidFile), 'redis socket');
  };
  await launch();
  const pid = () => Number(readFileSync(pidFile, 'utf8').trim());
  const kill = async () => {
    if (!existsSync(pidFile)) return;
    const p = pid();
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await waitFor(() => {
      try {
        process.kill(p, 0);
        return false;
      } catch {
        return true;
      }
    }, 'redis exit');
    rmSync(pidFile, { force: true });
    rmSync(socket, { force: true });
  };
  return {
    socket,
    dir,
    options: { path: socket, maxRetriesPerRequest: null },
    pid,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart({ downMs = 0 } = {}) {
      await kill();
      if (downMs > 0) await sleep(downMs);
      await launch();
    },
  };
}
