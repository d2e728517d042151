// `accessbot … | head` closes the CLI's stdout before it has written everything; the CLI must
// then stop quietly instead of dying with an EPIPE stack trace.
import { describe, expect, it } from 'vitest';
import { startCli } from './cli-runner.js';

describe('a reader that closes stdout early', { timeout: 60_000 }, () => {
  it('ends the CLI quietly with exit 0', async () => {
    const run = startCli(['--help']);
    run.child.stdout?.destroy();
    const result = await run.done;
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled|at .+\(/);
    expect(result.code).toBe(0);
  });
});
