// Starts test/support/api-process.ts as a real child process (an API replica on PostgreSQL) and
// waits until it listens; kill('SIGKILL') is a replica dying at the worst moment.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ApiProcessSpec } from './api-process.js';
import { type HostChild, hostChildReady } from './stack.js';

export type ApiChild = HostChild;

export async function spawnApiProcess(spec: ApiProcessSpec, timeoutMs = 30_000): Promise<ApiChild> {
  const entry = fileURLToPath(new URL('./api-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, ACCESSBOT_API_SPEC: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return hostChildReady(child, 'api process', timeoutMs);
}
