// Reminders through the webhook plugin: a request still pending after `host.reminders.after`
// reaches every target once as `request.reminder` (its own delivery id, the card as it is now);
// a request decided before then gets none.

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Receiver } from '../support/receiver.js';
import type { TestStack } from '../support/stack.js';
import { startWebhookWorld, type WebhookWorld } from './webhook-world.js';

const SECRET = 'webhook-reminder-secret-0123456789';
let world: WebhookWorld;
let receiver: Receiver;
let stack: TestStack;

beforeAll(async () => {
  world = await startWebhookWorld(SECRET, (r) => ({
    routing: [{ roles: ['*'], targets: { webhook: [r.urlFor('a'), r.urlFor('b')] } }],
    reminders: { after: '800ms', every: '1h', max: 1 },
  }));
  ({ receiver, stack } = world);
});

afterAll(async () => {
  await world?.stop();
});

const eventsOf = (requestId: string, event: string) =>
  receiver.deliveries().filter((d) => d.requestId === requestId && d.event === event);

it('sends each target one request.reminder while the request waits, and none for a decided one', async () => {
  const alice = await stack.clientFor('alice');
  const waiting = await alice.createRequest({ roles: ['dba'], reason: 'still waiting' });
  const decided = await alice.createRequest({ roles: ['dba'], reason: 'decided at once' });
  await stack.waitFor(() => eventsOf(decided.id, 'request.posted').length === 2, 20_000, 'posts');
  await stack.adminClient.resolveRequest(decided.id, { state: 'APPROVED', reason: 'ok' });

  await stack.waitFor(() => eventsOf(waiting.id, 'request.reminder').length >= 2, 20_000, 'two reminders');
  // Time for a wrong second reminder, or one for the decided request, to arrive.
  await new Promise((r) => setTimeout(r, 1500));
  const reminders = eventsOf(waiting.id, 'request.reminder');
  expect(reminders.map((d) => d.path).sort()).toEqual(['/a', '/b']);
  expect(reminders.every((d) => d.copies === 1 && d.state === 'PENDING')).toBe(true);
  const postIds = new Set(eventsOf(waiting.id, 'request.posted').map((d) => d.delivery));
  expect(reminders.some((d) => postIds.has(d.delivery))).toBe(false);
  expect(eventsOf(decided.id, 'request.reminder')).toEqual([]);
  expect(receiver.badSignatures()).toBe(0);
});
