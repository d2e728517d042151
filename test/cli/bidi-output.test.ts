// The CLI never prints a bidi control raw: `request show` and `request ls` show U+202E as the
// escape \u202e, so a reason or resource cannot read differently on the terminal from what it is.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { CONTRACTOR_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { runCli } from './cli-runner.js';

const RLO = '\u202e';
let t: TestApi;
let id: string;

beforeAll(async () => {
  t = await startTestApi({ rolesYaml: CONTRACTOR_ROLES_YAML, users: [seedUsers.alice] });
  const alice = await t.clientFor('alice');
  id = (await alice.createRequest({ roles: ['dba'], reason: `pay ${RLO}fdp.exe now\u200b` })).id;
});
afterAll(async () => {
  await t?.stop();
});

it('request show and request ls print bidi controls escaped', { timeout: 60_000 }, async () => {
  const flags = ['--api', t.api.url, '--token-file', t.api.adminTokenFile];
  const show = await runCli([...flags, 'request', 'show', id]);
  expect(show.code).toBe(0);
  expect(show.stdout).not.toContain(RLO);
  expect(show.stdout).not.toContain('\u200b');
  expect(show.stdout).toContain('pay \\u202efdp.exe now');

  const ls = await runCli([...flags, 'request', 'ls', '--format', 'json']);
  expect(ls.code).toBe(0);
  // JSON output is for programs: the exact text, with the controls written as JSON escapes.
  expect(ls.stdout).not.toContain(RLO);
  expect(ls.stdout).toContain('\\u202e');
  const listed = JSON.parse(ls.stdout) as { id: string; reason: string }[];
  expect(listed.find((r) => r.id === id)?.reason).toBe(`pay ${RLO}fdp.exe now\u200b`);
});
