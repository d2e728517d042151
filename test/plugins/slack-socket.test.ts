// Socket Mode end to end: no public URL; the plugin, started by the real host, opens the
// socket with its app-level token, and a click + dialog submission pushed over it becomes a
// review in the real API, with the thread reply and edit that follow.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import slackPlugin from '../../plugins/slack/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { clickPayload, submitPayload } from '../fakes/slack/interactions.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { FakeSocketMode } from '../fakes/slack/socket-mode.js';
import { DBA_ROLES_YAML } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let fake: FakeSlack;
let socket: FakeSocketMode;
let stack: TestStack;
let ops: string;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  socket = new FakeSocketMode(fake);
  ops = fake.addChannel('ops');
  fake.addUser({ id: 'UALICE', name: 'alice', email: 'alice@example.com' });
  stack = await startTestStack({
    rolesYaml: DBA_ROLES_YAML,
    users: [
      { name: 'bob', roles: ['requester'] },
      // Mapped by trait this time: alice's access user carries her Slack user ID.
      { name: 'alice', roles: ['approver'], traits: { slack_uid: ['UALICE'] } },
    ],
    definitions: new Map([['slack', slackPlugin as unknown as PluginDefinition]]),
    plugins: {
      slack: {
        token: fake.botToken,
        interactions: 'socket',
        app_token: fake.appToken,
        api_url: fake.apiUrl,
        user_mapping: { by: 'trait' },
      },
    },
    routing: [{ roles: ['*'], targets: { slack: ['#ops'] } }],
  });
});

afterAll(async () => {
  await stack?.stop();
  socket?.closeAll();
  await fake?.stop();
});

describe('socket mode through the host', () => {
  it('has no HTTP hook, and approves from a click pushed over the socket', async () => {
    const noHook = await fetch(stack.hookUrl('slack', '/interactions'), { method: 'POST', body: 'x' });
    expect(noHook.status).toBe(404);
    await stack.waitFor(() => socket.connections === 1, 20_000, 'socket connection');

    const req = await (await stack.clientFor('bob')).createRequest({ roles: ['dba'], reason: 'socket' });
    const root = await stack.waitFor(
      () => fake.rootMessages(ops).find((m) => JSON.stringify(m.blocks).includes(req.id)),
      30_000,
      'root message',
    );
    const viewsBefore = fake.views.length;
    await socket.sendInteractive(clickPayload(fake, root, 'UALICE', 'accessbot_approve'));
    const opened = await stack.waitFor(() => fake.views.slice(viewsBefore)[0], 15_000, 'modal');
    await socket.sendInteractive(submitPayload(fake, opened, 'over the socket'));

    await stack.waitFor(
      async () => (await stack.adminClient.getRequest(req.id)).state === 'APPROVED',
      30_000,
      'approval',
    );
    const after = await stack.adminClient.getRequest(req.id);
    expect(after.reviews.map((r) => [r.author, r.proposedState, r.reason])).toEqual([
      ['alice', 'APPROVED', 'over the socket'],
    ]);
    const reply = await stack.waitFor(() => fake.threadReplies(ops, root.ts)[0], 30_000, 'thread reply');
    expect(reply.text).toBe('*alice* ✅ approved this request\n>over the socket');
    await stack.waitFor(
      () => fake.rootMessages(ops).find((m) => m.ts === root.ts && m.text.startsWith('✅ APPROVED')),
      30_000,
      'edited message',
    );
    expect(fake.ephemerals.at(-1)).toMatchObject({
      user: 'UALICE',
      channel: ops,
      text: expect.stringMatching(/^✅ /),
    });
  });
});
