// Bidi override characters in user text never reach Slack or Jira raw: a reason holding
// U+202E (which would make "‮exe.txt" read as "txt.exe") arrives with the control shown as a
// visible [U+202E] marker, and zero-width characters are dropped. End to end: the real API,
// host and plugins, against the fake Slack and Jira servers.

import { afterAll, beforeAll, expect, it } from 'vitest';
import jiraPlugin from '../../plugins/jira/index.js';
import slackPlugin from '../../plugins/slack/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { type FakeJira, startFakeJira } from '../fakes/jira/index.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { dbaAndProdRolesYaml, usersWithEmail } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const SLACK_SECRET = 'bidi-signing-secret';
const JIRA_SECRET = 'bidi-jira-secret';
const RLO = '\u202e';
const PDF = '\u202c';
const ZWSP = '\u200b';

let slack: FakeSlack;
let jira: FakeJira;
let stack: TestStack;
let ops: string;

beforeAll(async () => {
  slack = await new FakeSlack().start();
  ops = slack.addChannel('ops');
  slack.addUser({ id: 'UBOB', name: 'bob', email: 'bob@example.com' });
  jira = await startFakeJira();
  jira.addUser({
    accountId: 'bot-1',
    displayName: 'accessbot',
    email: 'accessbot@example.com',
    apiToken: 'bot-token',
  });
  jira.model.addProject('SEC');
  stack = await startTestStack({
    rolesYaml: dbaAndProdRolesYaml(),
    users: usersWithEmail({ bob: ['requester'], alice: ['approver'] }),
    definitions: new Map([
      ['slack', slackPlugin as unknown as PluginDefinition],
      ['jira', jiraPlugin as unknown as PluginDefinition],
    ]),
    plugins: {
      slack: { token: slack.botToken, signing_secret: SLACK_SECRET, api_url: slack.apiUrl },
      jira: {
        base_url: jira.baseUrl,
        auth: { type: 'basic', email: 'accessbot@example.com', api_token: 'bot-token' },
        project: 'SEC',
        webhook_secret: JIRA_SECRET,
      },
    },
    routing: [{ roles: ['*'], targets: { slack: ['#ops'], jira: ['SEC'] } }],
    delivery: { backoff: '100ms', max_backoff: '2s', attempts: 20 },
  });
}, 60_000);

afterAll(async () => {
  await jira?.settled();
  await stack?.stop();
  await slack?.stop();
  await jira?.stop();
}, 120_000);

it('a reason with U+202E and zero-width spaces reaches Slack and Jira neutralised', async () => {
  const bob = await stack.clientFor('bob');
  const reason = `invoice ${RLO}fdp.exe${PDF} for ad${ZWSP}min`;
  const created = await bob.createRequest({ roles: ['dba'], reason });
  // The request itself keeps what was typed: only renderings neutralise.
  expect(created.reason).toBe(reason);

  const message = await stack.waitFor(
    () => slack.rootMessages(ops).find((m) => JSON.stringify(m.blocks).includes(created.id)),
    20_000,
  );
  const posted = JSON.stringify(message.blocks) + message.text;
  expect(posted).not.toContain(RLO);
  expect(posted).not.toContain(PDF);
  expect(posted).not.toContain(ZWSP);
  expect(posted).toContain('[U+202E]fdp.exe[U+202C]');
  expect(posted).toContain('for admin');

  const issue = await stack.waitFor(
    () => [...jira.model.issues.values()].find((i) => i.labels.includes(`accessbot-${created.id}`)),
    20_000,
  );
  const filed = issue.summary + issue.description;
  expect(filed).not.toContain(RLO);
  expect(filed).not.toContain(PDF);
  expect(filed).not.toContain(ZWSP);
  // Jira wiki markup escapes the marker's brackets and plus sign; the text still reads U+202E.
  expect(issue.description).toContain('\\[U\\+202E\\]fdp.exe\\[U\\+202C\\]');
}, 60_000);
