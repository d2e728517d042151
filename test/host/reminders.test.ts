// Reminders in the threads of a request that waits for a review: `after` its creation, then
// every `every`, at most `max`, only on reviewer messages, and none once it is resolved.

import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type Card,
  definePlugin,
  type PluginDefinition,
  type Target,
  z,
} from '../../src/plugin-sdk/index.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { HOST_ROLES, HOST_USERS } from './fixtures.js';

const reminders: { target: Target; card: Card; deliveryId: string; at: number }[] = [];
const posted: { target: Target; card: Card }[] = [];

const nudger = definePlugin({
  id: 'nudger',
  description: 'records reminders',
  configSchema: z.object({}).strict(),
  traits: { directMessages: true },
  create() {
    return {
      async healthCheck() {},
      async resolveRecipient(raw, audience) {
        return { id: raw, kind: raw.includes('@') ? 'user' : 'channel', audience };
      },
      defaultRecipients: () => ['#reviewers'],
      async deliver(target, card) {
        posted.push({ target, card });
        return { ts: String(Math.random()) };
      },
      async update() {
        return undefined;
      },
      async reply() {},
      async remind(target, _ref, card, delivery) {
        reminders.push({ target, card, deliveryId: delivery?.deliveryId ?? '', at: Date.now() });
      },
    };
  },
});

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    rolesYaml: HOST_ROLES,
    users: HOST_USERS,
    definitions: new Map([['nudger', nudger as unknown as PluginDefinition]]),
    plugins: { nudger: {} },
    reminders: { after: '700ms', every: '500ms', max: 2 },
  });
});

afterAll(async () => {
  await stack?.stop();
});

const remindersOf = (id: string) => reminders.filter((r) => r.card.requestId === id);

it('reminds the reviewer thread after `after`, then every `every`, `max` times, never the requester', async () => {
  const alice = await stack.clientFor('alice');
  const req = await alice.createRequest({ roles: ['dba'], reason: 'waiting' });
  await stack.waitFor(() => remindersOf(req.id).length >= 2, 15_000, 'two reminders');
  await new Promise((r) => setTimeout(r, 1500));
  const got = remindersOf(req.id);
  // The requester has a copy too (a DM), and it is not reminded.
  expect(
    posted
      .filter((p) => p.card.requestId === req.id)
      .map((p) => p.target.audience)
      .sort(),
  ).toEqual(['requester', 'reviewer']);
  expect(got.map((r) => `${r.target.audience} ${r.target.id}`)).toEqual([
    'reviewer #reviewers',
    'reviewer #reviewers',
  ]);
  expect(new Set(got.map((r) => r.deliveryId)).size).toBe(2);
  const created = Date.parse(req.created);
  expect(got[0]!.at - created).toBeGreaterThanOrEqual(700);
  expect(got[1]!.at - created).toBeGreaterThanOrEqual(1200);
});

it('does not remind about a request resolved before its reminder was due', async () => {
  const alice = await stack.clientFor('alice');
  const bob = await stack.clientFor('bob');
  const req = await alice.createRequest({ roles: ['dba'], reason: 'quick' });
  await bob.submitReview(req.id, { proposedState: 'APPROVED', reason: 'ok' });
  await new Promise((r) => setTimeout(r, 2000));
  expect(remindersOf(req.id)).toEqual([]);
});
