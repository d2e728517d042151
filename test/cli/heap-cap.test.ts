// `node bin/accessbot.js` (the README's alias) keeps the 512 MB heap cap that the `#!` line
// gives `./bin/accessbot.js`: the command runs itself again with the flag. A probe preloaded
// through NODE_OPTIONS reports the heap limit of every node process the command starts.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/accessbot.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'accessbot-heap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const probe = join(dir, 'probe.mjs');
writeFileSync(
  probe,
  [
    "import v8 from 'node:v8';",
    'const mb = Math.round(v8.getHeapStatistics().heap_size_limit / 1048576);',
    "process.stderr.write('heap-limit-mb ' + mb + '\\n');",
    '',
  ].join('\n'),
);

function limitsOf(stderr: string): number[] {
  return [...stderr.matchAll(/^heap-limit-mb (\d+)$/gm)].map((m) => Number(m[1]));
}

it('node bin/accessbot.js runs the CLI under the 512 MB heap cap', () => {
  const result = spawnSync(process.execPath, [BIN, 'version'], {
    env: { ...process.env, NODE_OPTIONS: `--import ${probe}` },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const limits = limitsOf(result.stderr);
  // The last process is the one that runs the CLI: old space 512 MB plus V8's young generation.
  expect(limits.at(-1)).toBeGreaterThanOrEqual(512);
  expect(limits.at(-1)).toBeLessThan(640);
}, 60_000);

it('a cap given explicitly is kept as it is, without running twice', () => {
  const result = spawnSync(process.execPath, ['--max-old-space-size=256', BIN, 'version'], {
    env: { ...process.env, NODE_OPTIONS: `--import ${probe}` },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const limits = limitsOf(result.stderr);
  expect(limits).toHaveLength(1);
  expect(limits[0]).toBeLessThan(320);
}, 60_000);
