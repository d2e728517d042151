#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` (or the Makefile) produces dist/.
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('accessbot: not built yet; run `npm run build` (or `make serve`) first');
    process.exit(1);
  }
  throw err;
});
