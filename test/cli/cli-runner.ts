// Runs the real accessbot command as a child process (node + tsx on src/cli/main.ts), the way
// a user runs it, and collects its output and exit code.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the whole process, start to exit. */
  ms: number;
}

export interface RunningCli {
  child: ReturnType<typeof spawn>;
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

export interface CliRunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Flags for node itself, e.g. a heap cap. */
  nodeArgs?: string[];
}

/** Env without anything from the developer's shell that would change the CLI's behaviour. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('ACCESSBOT_') || k === 'REDIS_URL' || k === 'LOG_LEVEL') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export function startCli(args: string[], opts: CliRunOptions = {}): RunningCli {
  const started = Date.now();
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', TSX, MAIN, ...args], {
    cwd: opts.cwd ?? process.cwd(),
    env: cleanEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export function runCli(args: string[], opts: CliRunOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** Polls until `check` holds, up to `timeoutMs` (generous: the test machine may be loaded). */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The global flags that point the CLI at `apiUrl` as the holder of the token in `tokenFile`. */
export function apiFlags(apiUrl: string, tokenFile: string): string[] {
  return ['--api', apiUrl, '--token-file', tokenFile];
}
