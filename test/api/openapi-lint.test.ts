// `redocly lint` with the recommended rules (redocly.yaml) on the document the API serves,
// offline and without telemetry. Exceptions are in .redocly.lint-ignore.yaml, each with its reason.

import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';

const run = promisify(execFile);
/** The path .redocly.lint-ignore.yaml names, relative to the repository root. */
const DOCUMENT = '.tmp/openapi/openapi.json';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => {
  await t?.stop();
});

it('the served document passes redocly lint (recommended rules) with no error or warning', async () => {
  const document = await (await fetch(`${t.api.url}/v1/openapi.json`)).text();
  mkdirSync('.tmp/openapi', { recursive: true });
  writeFileSync(DOCUMENT, document);
  const { stdout } = await run(
    process.execPath,
    [
      'node_modules/@redocly/cli/bin/cli.js',
      'lint',
      '--config',
      'redocly.yaml',
      '--format',
      'json',
      DOCUMENT,
    ],
    {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      timeout: 60_000,
    },
  );
  const report = JSON.parse(stdout) as {
    totals: { errors: number; warnings: number; ignored: number };
    problems: { ruleId: string; message: string }[];
  };
  expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
  expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  // Only the three operations without any 4xx answer are excused.
  expect(report.totals.ignored).toBe(3);
});
