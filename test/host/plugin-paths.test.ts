// The host paths the webhook plugin does not use, driven through a small plugin defined here
// (a platform that records what it was asked to show): direct copies for the requester and
// suggested reviewers, recipients from request annotations, threaded replies per review,
// automatic reviews as the plugin's own user, and recipients the platform refuses.

import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type Card,
  type CardReview,
  type DeliveryContext,
  definePlugin,
  type PluginDefinition,
  permanent,
  type Target,
  z,
} from '../../src/plugin-sdk/index.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { HOST_ROLES, HOST_USERS } from './fixtures.js';

interface Shown {
  target: Target;
  card: Card;
  delivery?: DeliveryContext;
}
const delivered: Shown[] = [];
const updated: Shown[] = [];
const replies: { target: Target; review: CardReview }[] = [];

const recorder = definePlugin({
  id: 'recorder',
  description: 'records what it is asked to show',
  configSchema: z.object({ channel: z.string() }).strict(),
  traits: { directMessages: true },
  create(ctx) {
    return {
      async healthCheck() {},
      async resolveRecipient(raw, audience) {
        if (raw === '#nope') throw permanent('channel_not_found');
        return { id: raw, kind: raw.includes('@') ? 'user' : 'channel', audience };
      },
      defaultRecipients: () => [ctx.config.channel, '#nope'],
      async deliver(target, card, delivery) {
        delivered.push({ target, card, ...(delivery ? { delivery } : {}) });
        return { ts: String(delivered.length) };
      },
      async update(target, _ref, card) {
        updated.push({ target, card });
        return undefined;
      },
      async reply(target, _ref, review) {
        replies.push({ target, review });
      },
      async autoReview(card) {
        return card.reason.includes('auto-approve')
          ? { action: 'approve' as const, reason: 'on call' }
          : null;
      },
    };
  },
});

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    rolesYaml: HOST_ROLES,
    users: HOST_USERS,
    definitions: new Map([['recorder', recorder as unknown as PluginDefinition]]),
    plugins: { recorder: { channel: '#access', review_as: 'recorder-bot' } },
  });
});

afterAll(async () => {
  await stack?.stop();
});

const shownTo = (id: string) =>
  delivered
    .filter((d) => d.card.requestId === id)
    .map((d) => `${d.target.audience} ${d.target.id}`)
    .sort();

it('sends copies to the channel, the annotation, suggested reviewers and the requester; skips refused recipients', async () => {
  const alice = await stack.clientFor('alice');
  const req = await alice.createRequest({ roles: ['dba'], reason: 'copies', suggestedReviewers: ['bob'] });
  await stack.waitFor(() => shownTo(req.id).length >= 4, 20_000, 'four copies');
  await new Promise((r) => setTimeout(r, 500));
  expect(shownTo(req.id)).toEqual([
    'requester alice@example.com',
    'reviewer #access',
    'reviewer #from-annotation',
    'reviewer bob@example.com',
  ]);
  const own = delivered.find((d) => d.card.requestId === req.id && d.target.audience === 'requester')!;
  expect(own.card.actions).toEqual([]);
  const forReviewer = delivered.find((d) => d.card.requestId === req.id && d.target.id === '#access')!;
  expect(forReviewer.card.actions).toEqual(['approve', 'deny']);
  expect(forReviewer.delivery?.deliveryId).toMatch(/^post\.recorder\./);
});

it('replies once per review in every thread and tells the requester the outcome', async () => {
  const alice = await stack.clientFor('alice');
  const bob = await stack.clientFor('bob');
  const req = await alice.createRequest({ roles: ['dba'], reason: 'threads' });
  await stack.waitFor(() => shownTo(req.id).length >= 3, 20_000, 'copies');
  await bob.submitReview(req.id, { proposedState: 'DENIED', reason: 'not today' });
  await stack.waitFor(
    () => replies.filter((r) => r.review.reason === 'not today').length >= 3,
    20_000,
    'replies',
  );
  await stack.waitFor(
    () =>
      updated.some(
        (u) => u.card.requestId === req.id && u.target.audience === 'requester' && u.card.state === 'DENIED',
      ),
    20_000,
    'outcome to the requester',
  );
  await new Promise((r) => setTimeout(r, 500));
  const mine = replies
    .filter((r) => r.review.reason === 'not today')
    .map((r) => r.target.id)
    .sort();
  expect(mine).toEqual(['#access', '#from-annotation', 'alice@example.com']);
});

it("submits the plugin's automatic review as its review_as user", async () => {
  const alice = await stack.clientFor('alice');
  const req = await alice.createRequest({ roles: ['dba'], reason: 'please auto-approve' });
  const done = await stack.waitFor(
    async () => {
      const r = await stack.adminClient.getRequest(req.id);
      return r.state === 'APPROVED' ? r : undefined;
    },
    20_000,
    'automatic approval',
  );
  expect(done.reviews).toHaveLength(1);
  expect(done.reviews[0]).toMatchObject({
    author: 'recorder-bot',
    submittedBy: 'accessbot-host',
    reason: 'on call',
  });
  const plain = await alice.createRequest({ roles: ['dba'], reason: 'no opinion' });
  await stack.waitFor(() => shownTo(plain.id).length >= 3, 20_000, 'copies');
  expect((await stack.adminClient.getRequest(plain.id)).state).toBe('PENDING');
});
