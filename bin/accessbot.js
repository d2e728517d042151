#!/usr/bin/env -S node --max-old-space-size=512
// The heap cap is what keeps a long-running `serve` or `host` small: with the default (a
// share of the machine's memory) V8 lets the old generation grow to ~4× what is live
// before collecting it; with 512 MB it collects at ~1.4×. The host's live heap is ~40 MB,
// so the cap is far from reach (peak RSS with 10,000 pending: ~135 MB instead of ~200 MB).
// `npm run bench` starts the host with the flags on this line.
//
// Started as `node bin/accessbot.js …` the `#!` line is not read, so the cap would be lost: V8
// fixes its heap limit when the process starts, so the command runs itself again, once, with
// the flag (signals are passed on, the exit code comes back). A cap given explicitly, on the
// command line or in NODE_OPTIONS, is respected as it is.
// Runs the compiled CLI; `npm run build` (or the Makefile) produces dist/.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HEAP_CAP = '--max-old-space-size=512';
const capped = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((flag) =>
  /^--max[-_]old[-_]space[-_]size/.test(flag),
);

if (capped) {
  import('../dist/src/cli/main.js').catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
      console.error('accessbot: not built yet; run `npm run build` (or `make serve`) first');
      process.exit(1);
    }
    throw err;
  });
} else {
  const child = spawn(
    process.execPath,
    [HEAP_CAP, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of forwarded) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (!signal) process.exit(code ?? 1);
    // End the way the child ended, so a supervisor sees the same signal.
    for (const name of forwarded) process.removeAllListeners(name);
    process.kill(process.pid, signal);
  });
}
