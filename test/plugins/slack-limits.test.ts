// Slack's Block Kit limits against the worst user text at the largest reason the plugin allows
// (reason_max_length 2500): every kind of message (root, requester DM, edit, thread reply,
// outcome DM, reminder, withdrawal) is accepted by a fake Slack that refuses over-limit blocks
// as Slack does (`invalid_blocks`). When Slack refuses a message anyway, a shortened one is
// posted; when it refuses that too, the delivery is dead-lettered with Slack's answer.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import slackPlugin from '../../plugins/slack/index.js';
import { listDeliveries } from '../../src/host/ops/deliveries-cli.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { escapeSlackMrkdwn } from '../../src/plugin-sdk/index.js';
import { FakeSlack, type FakeSlackMessage } from '../fakes/slack/server.js';
import { DBA_ROLES_YAML, usersWithEmail } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/** The most the plugin's config allows. */
const REASON_MAX = 2500;

/** Each at the longest the API takes (2,500 characters, or its 4,096 UTF-8 bytes for 4-byte ones). */
const WORST: [string, string][] = [
  ['ampersands', '&'.repeat(REASON_MAX)],
  ['angle brackets', '<>'.repeat(REASON_MAX / 2)],
  ['newlines', `${'x\n'.repeat(REASON_MAX / 2 - 1)}x`],
  ['all of them mixed', `${'&<\n>'.repeat(REASON_MAX / 4 - 1)}&<!>`],
  ['emoji', '👍'.repeat(1024)],
  ['4-byte letters', '𝕏'.repeat(1024)],
];

let fake: FakeSlack;
let stack: TestStack;
let ops: string;
let bobDm: string;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  ops = fake.addChannel('ops');
  fake.addUser({ id: 'UBOB', name: 'bob', email: 'bob@example.com' });
  fake.addUser({ id: 'UALICE', name: 'alice', email: 'alice@example.com' });
  bobDm = fake.dmChannelOf('UBOB');
  stack = await startTestStack({
    rolesYaml: DBA_ROLES_YAML,
    users: usersWithEmail({ bob: ['requester'], carl: ['requester'], alice: ['approver'] }),
    definitions: new Map([['slack', slackPlugin as unknown as PluginDefinition]]),
    plugins: {
      slack: {
        token: fake.botToken,
        signing_secret: 'limits-signing-secret',
        api_url: fake.apiUrl,
        reason_max_length: REASON_MAX,
      },
    },
    routing: [{ roles: ['*'], targets: { slack: ['#ops'] } }],
    delivery: { backoff: '100ms', max_backoff: '1s', attempts: 5 },
    reminders: { after: '1s', every: '1h', max: 1 },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await fake?.stop();
});

const about = (m: FakeSlackMessage, id: string) =>
  JSON.stringify(m.blocks).includes(id) || m.text.includes(id);
const rootOf = (channel: string, id: string) =>
  fake.rootMessages(channel).find((m) => m.blocks.length > 0 && about(m, id));
const sectionText = (m: FakeSlackMessage, blockId: string) =>
  (m.blocks.find((b) => b.block_id === blockId)?.text as { text: string } | undefined)?.text ?? '';
const failedCalls = (from: number) =>
  fake.calls.slice(from).filter((c) => c.status !== 200 || c.error !== undefined);

describe('the worst reasons at the longest allowed length', () => {
  for (const [name, reason] of WORST) {
    it(`${name}: root, DM, denial edit, thread reply and outcome DM are all accepted`, async () => {
      const from = fake.calls.length;
      const bob = await stack.clientFor('bob');
      const req = await bob.createRequest({ roles: ['dba'], reason });
      const root = await stack.waitFor(() => rootOf(ops, req.id), 20_000, 'the root message');
      await stack.waitFor(() => rootOf(bobDm, req.id), 20_000, "the requester's copy");
      // As much of the reason as fits is shown, escaped, never cut inside an escape.
      const shown = sectionText(root, 'reason');
      expect(shown.startsWith(`*Reason*\n${escapeSlackMrkdwn(reason.slice(0, 40))}`)).toBe(true);
      expect(shown.length).toBeGreaterThan(2000);
      expect(shown.length).toBeLessThanOrEqual(3000);
      expect(shown.endsWith('… (truncated)') || shown === `*Reason*\n${escapeSlackMrkdwn(reason)}`).toBe(
        true,
      );

      const alice = await stack.clientFor('alice');
      await alice.submitReview(req.id, { proposedState: 'DENIED', reason });
      // The denial edit went through: no live buttons are left on a denied request.
      const denied = await stack.waitFor(
        () => (sectionText(root, 'status').startsWith('*❌ DENIED*') ? root : undefined),
        20_000,
        'the denial edit',
      );
      expect(denied.blocks.some((b) => b.type === 'actions')).toBe(false);
      expect(sectionText(denied, 'resolution')).toContain('Denied by *alice*');
      const reply = await stack.waitFor(
        () => fake.threadReplies(ops, root.ts)[0],
        20_000,
        'the thread reply',
      );
      expect(reply.text.startsWith('*alice* ❌ denied this request\n>')).toBe(true);
      await stack.waitFor(
        () => fake.messages.find((m) => m.channel === bobDm && m.text.startsWith('*❌ DENIED* Your request')),
        20_000,
        'the outcome DM',
      );
      expect(failedCalls(from)).toEqual([]);
    });
  }

  it('a pending request with the worst reason gets its reminder and its withdrawal', async () => {
    const from = fake.calls.length;
    const bob = await stack.clientFor('bob');
    const req = await bob.createRequest({ roles: ['dba'], reason: WORST[3]![1] });
    const root = await stack.waitFor(() => rootOf(ops, req.id), 20_000, 'the root message');
    await stack.waitFor(
      () => fake.threadReplies(ops, root.ts).find((m) => m.text.startsWith('⏰ Still waiting')),
      20_000,
      'the reminder',
    );
    await stack.adminClient.deleteRequest(req.id);
    await stack.waitFor(
      () => sectionText(root, 'status').startsWith('*🗑️ WITHDRAWN*'),
      20_000,
      'the withdrawal edit',
    );
    expect(sectionText(root, 'reason').length).toBeGreaterThan(2000);
    expect(failedCalls(from)).toEqual([]);
  });
});

describe('when Slack refuses a message anyway', () => {
  it('posts a shortened message that still carries the buttons', async () => {
    fake.refuseNextBlocks(1, { methods: ['chat.postMessage'], channels: [ops] });
    const carl = await stack.clientFor('carl');
    const req = await carl.createRequest({ roles: ['dba'], reason: `${'long reason '.repeat(100)}end` });
    const root = await stack.waitFor(() => rootOf(ops, req.id), 20_000, 'the shortened root message');
    const refused = fake.callsTo('chat.postMessage').filter((c) => c.error === 'invalid_blocks');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(sectionText(root, 'reason')).toContain('shortened: Slack refused the full message');
    expect(sectionText(root, 'reason')).toContain(`accessbot request show ${req.id}`);
    expect(root.blocks.find((b) => b.type === 'actions')).toBeDefined();
    expect(fake.rootMessages(ops).filter((m) => about(m, req.id))).toHaveLength(1);
  });

  it('refused twice → dead-lettered with Slack answer, never dropped silently', async () => {
    fake.refuseNextBlocks(2, { methods: ['chat.postMessage'], channels: [ops] });
    const carl = await stack.clientFor('carl');
    const req = await carl.createRequest({ roles: ['dba'], reason: 'refused twice' });
    const row = await stack.waitFor(
      async () =>
        (await listDeliveries(stack.config, { failed: true, redis: stack.redisOptions })).find(
          (r) => r.requestId === req.id,
        ),
      20_000,
      'the dead letter',
    );
    expect(row.error).toContain('invalid_blocks');
    expect(row.error).toContain('shortened fallback');
    expect(rootOf(ops, req.id)).toBeUndefined();
  });
});
