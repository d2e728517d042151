// Suggested reviewers given as emails (the seeds' own `--reviewers=alice@example.com,…`) reach
// those people: the real API, host and Slack plugin against the fake Slack, driven by the real
// `accessbot` command. A reviewer that names nobody is a warning on create, not silence.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import slackPlugin from '../../plugins/slack/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { apiFlags, runCli } from '../cli/cli-runner.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { DBA_ROLES_YAML, usersWithEmail } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let fake: FakeSlack;
let stack: TestStack;
let dir: string;
let bobToken: string;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  fake.addChannel('ops');
  fake.addUser({ id: 'UBOB', name: 'bob', email: 'bob@example.com' });
  fake.addUser({ id: 'UALICE', name: 'alice', email: 'alice@example.com' });
  fake.addUser({ id: 'UIVAN', name: 'ivan', email: 'ivan@example.com' });
  stack = await startTestStack({
    rolesYaml: DBA_ROLES_YAML,
    users: usersWithEmail({ bob: ['requester'], alice: ['approver'], ivan: ['approver'] }),
    definitions: new Map([['slack', slackPlugin as unknown as PluginDefinition]]),
    plugins: {
      slack: { token: fake.botToken, signing_secret: 'reviewers-signing-secret', api_url: fake.apiUrl },
    },
    routing: [{ roles: ['*'], targets: { slack: ['#ops'] } }],
  });
  dir = mkdtempSync(join(tmpdir(), 'accessbot-reviewers-'));
  const { token } = await stack.adminClient.issueToken('bob', { description: 'reviewers test' });
  bobToken = join(dir, 'bob.token');
  writeFileSync(bobToken, `${token}\n`, { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await fake?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const dmCopies = (userId: string, requestId: string) =>
  fake
    .rootMessages(fake.dmChannelOf(userId))
    .filter((m) => JSON.stringify(m.blocks).includes(requestId) && m.blocks.length > 0);

describe('suggested reviewers', () => {
  it('given as emails, reach those people with buttons; unknown ones are warnings', async () => {
    const r = await runCli([
      ...apiFlags(stack.api.url, bobToken),
      'request',
      'create',
      '--roles',
      'dba',
      '--reason',
      'migration',
      '--reviewers=alice@example.com,IVAN@example.com,carol,nobody@example.com',
      '--nowait',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const id = /^Request ID: ([0-9a-f-]{36})$/m.exec(r.stdout)![1]!;
    expect(r.stderr.trim().split('\n')).toEqual([
      'warning [UNKNOWN_REVIEWER]: suggested reviewer "carol" is neither an access user nor a user\'s email; nobody is told about the request through it',
      'warning [UNKNOWN_REVIEWER]: suggested reviewer "nobody@example.com" is neither an access user nor a user\'s email; nobody is told about the request through it',
    ]);
    // The emails became the people they belong to.
    const stored = await stack.adminClient.getRequest(id);
    expect(stored.suggestedReviewers).toEqual(['alice', 'ivan', 'carol', 'nobody@example.com']);
    for (const userId of ['UALICE', 'UIVAN']) {
      const [copy] = await stack.waitFor(
        () => {
          const copies = dmCopies(userId, id);
          return copies.length > 0 ? copies : undefined;
        },
        20_000,
        `the DM to ${userId}`,
      );
      expect(copy!.blocks.some((b) => b.type === 'actions')).toBe(true);
    }
  });

  it('the API answer carries the warnings', async () => {
    const bob = await stack.clientFor('bob');
    const created = await bob.createRequest({
      roles: ['dba'],
      reason: 'api',
      suggestedReviewers: ['alice@example.com', 'carol'],
    });
    expect(created.suggestedReviewers).toEqual(['alice', 'carol']);
    expect(created.warnings).toEqual([
      {
        code: 'UNKNOWN_REVIEWER',
        reviewer: 'carol',
        message:
          'suggested reviewer "carol" is neither an access user nor a user\'s email; nobody is told about the request through it',
      },
    ]);
    const clean = await bob.createRequest({ roles: ['dba'], reason: 'api', suggestedReviewers: ['alice'] });
    expect(clean.warnings).toBeUndefined();
  });
});
