#!/usr/bin/env -S node --max-old-space-size=512
// The heap cap is what keeps a long-running `serve` or `host` small: with the default (a
// share of the machine's memory) V8 lets the old generation grow to ~4× what is live
// before collecting it; with 512 MB it collects at ~1.4×. The host's live heap is ~40 MB,
// so the cap is far from reach (peak RSS with 10,000 pending: ~135 MB instead of ~200 MB).
// `npm run bench` starts the host with the flags on this line.
// Runs the compiled CLI; `npm run build` (or the Makefile) produces dist/.
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('accessbot: not built yet; run `npm run build` (or `make serve`) first');
    process.exit(1);
  }
  throw err;
});
