// The whole path through a real API, the real host, real Redis and a real receiver:
// requests become signed webhook posts, changes become updates, signed decisions become
// reviews by the mapped person, and forged / stale / unauthorised ones change nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSignedDecision, type Receiver } from '../support/receiver.js';
import type { TestStack } from '../support/stack.js';
import { startWebhookWorld, type WebhookWorld } from './webhook-world.js';

const SECRET = 'webhook-test-secret-0123456789';
let world: WebhookWorld;
let receiver: Receiver;
let stack: TestStack;

beforeAll(async () => {
  world = await startWebhookWorld(SECRET, (r) => ({
    plugins: { webhook: { secret: SECRET, endpoints: { ops: r.urlFor('ops') } } },
    routing: [
      { roles: ['dba'], targets: { webhook: ['ops', r.urlFor('dba-team')] } },
      { roles: ['*'], targets: { webhook: [r.urlFor('fallback')] } },
    ],
  }));
  ({ receiver, stack } = world);
});

afterAll(async () => {
  await world?.stop();
});

const posts = (requestId: string) =>
  receiver.deliveries().filter((d) => d.requestId === requestId && d.event === 'request.posted');

describe('webhook delivery', () => {
  it('posts a new request once to every routed target, signed, and not to the fallback', async () => {
    const alice = await stack.clientFor('alice');
    const req = await alice.createRequest({ roles: ['dba'], reason: 'fix <b>prod</b> index' });
    await stack.waitFor(() => posts(req.id).length >= 2, 20_000, 'two posts');
    // Give a wrongly duplicated post a chance to show up before counting.
    await new Promise((r) => setTimeout(r, 500));
    const got = posts(req.id);
    expect(got.map((d) => d.path).sort()).toEqual(['/dba-team', '/ops']);
    expect(got.every((d) => d.copies === 1)).toBe(true);
    expect(got[0]!.card.reason).toBe('fix <b>prod</b> index');
    expect(got[0]!.card.requester).toEqual({ name: 'alice', email: 'alice@example.com' });
    expect(got[0]!.card.actions).toEqual(['approve', 'deny']);
    expect(receiver.badSignatures()).toBe(0);
  });

  it('tells every target once when a posted request is deleted', async () => {
    const alice = await stack.clientFor('alice');
    const req = await alice.createRequest({ roles: ['dba'], reason: 'about to be deleted' });
    await stack.waitFor(() => posts(req.id).length >= 2, 20_000, 'two posts');
    await stack.adminClient.deleteRequest(req.id);
    const deleted = () =>
      receiver.deliveries().filter((d) => d.requestId === req.id && d.event === 'request.deleted');
    await stack.waitFor(() => deleted().length >= 2, 20_000, 'two deletions');
    await new Promise((r) => setTimeout(r, 500));
    expect(
      deleted()
        .map((d) => d.path)
        .sort(),
    ).toEqual(['/dba-team', '/ops']);
    expect(deleted().every((d) => d.copies === 1 && d.card.reason === 'about to be deleted')).toBe(true);
  });

  it('uses the `*` rule only when no specific rule matches', async () => {
    const alice = await stack.clientFor('alice');
    const req = await alice.createRequest({ roles: ['dev-web'], reason: 'deploy' });
    await stack.waitFor(() => posts(req.id).length >= 1, 20_000, 'fallback post');
    expect(posts(req.id).map((d) => d.path)).toEqual(['/fallback']);
  });

  it('sends updates for reviews and resolution, ending with the resolved card', async () => {
    const alice = await stack.clientFor('alice');
    const bob = await stack.clientFor('bob');
    const req = await alice.createRequest({ roles: ['dba'], reason: 'rotate keys' });
    await stack.waitFor(() => posts(req.id).length >= 2, 20_000, 'posts');
    await bob.submitReview(req.id, { proposedState: 'APPROVED', reason: 'ok by me' });
    const final = await stack.waitFor(
      () => {
        const card = receiver.latest(req.id, '/ops');
        return card?.state === 'APPROVED' ? card : undefined;
      },
      20_000,
      'approved card at /ops',
    );
    expect(final.reviews).toHaveLength(1);
    expect(final.reviews[0]).toMatchObject({ author: 'bob', decision: 'APPROVED', reason: 'ok by me' });
    expect(final.actions).toEqual([]);
    expect(final.resolution?.state).toBe('APPROVED');
    await stack.waitFor(
      () => receiver.latest(req.id, '/dba-team')?.state === 'APPROVED',
      20_000,
      'approved at /dba-team',
    );
    // Still one post per target: the change went out as updates.
    expect(posts(req.id)).toHaveLength(2);
  });

  it('turns a signed decision into a review by the person mapped by email; a later click meets a resolved request', async () => {
    const alice = await stack.clientFor('alice');
    const req = await alice.createRequest({ roles: ['dba'], reason: 'backfill' });
    const body = {
      request_id: req.id,
      action: 'approve',
      reason: 'looks fine',
      person: { email: 'BOB@example.com' },
    };
    const first = await postSignedDecision(stack.hookUrl('webhook'), SECRET, body);
    expect(first.status).toBe(200);
    expect(first.json.outcome).toBe('done');
    const after = await stack.adminClient.getRequest(req.id);
    expect(after.state).toBe('APPROVED');
    expect(after.reviews).toHaveLength(1);
    expect(after.reviews[0]).toMatchObject({
      author: 'bob',
      submittedBy: 'accessbot-host',
      reason: 'looks fine',
    });

    const again = await postSignedDecision(stack.hookUrl('webhook'), SECRET, { ...body, action: 'deny' });
    expect(again.status).toBe(409);
    expect(again.json.outcome).toBe('resolved');
    expect((await stack.adminClient.getRequest(req.id)).reviews).toHaveLength(1);
  });

  it('maps a person by trait', async () => {
    const alice = await stack.clientFor('alice');
    const req = await alice.createRequest({ roles: ['dba'], reason: 'trait mapping' });
    const res = await postSignedDecision(stack.hookUrl('webhook'), SECRET, {
      request_id: req.id,
      action: 'deny',
      person: { trait: 'github', value: 'bobgh' },
    });
    expect(res.json.outcome).toBe('done');
    const after = await stack.adminClient.getRequest(req.id);
    expect(after.state).toBe('DENIED');
    expect(after.reviews[0]?.author).toBe('bob');
  });

  it('answers two simultaneous clicks with one review', async () => {
    const dave = await stack.clientFor('dave');
    const req = await dave.createRequest({ roles: ['dba'], reason: 'double click' });
    const body = { request_id: req.id, action: 'approve', person: { email: 'carol@example.com' } };
    const [a, b] = await Promise.all([
      postSignedDecision(stack.hookUrl('webhook'), SECRET, body),
      postSignedDecision(stack.hookUrl('webhook'), SECRET, body),
    ]);
    expect([a.json.outcome, b.json.outcome].sort()).toEqual(['already_reviewed', 'done']);
    const after = await stack.adminClient.getRequest(req.id);
    expect(after.reviews).toHaveLength(1);
    expect(after.state).toBe('PENDING');
  });

  describe('refusals change nothing', () => {
    async function pending() {
      const alice = await stack.clientFor('alice');
      return alice.createRequest({ roles: ['dba'], reason: 'refusals' });
    }

    it('refuses a forged signature with INVALID_SIGNATURE', async () => {
      const req = await pending();
      const body = { request_id: req.id, action: 'approve', person: { email: 'bob@example.com' } };
      const forged = await postSignedDecision(stack.hookUrl('webhook'), 'not-the-secret-000000000', body);
      expect(forged.status).toBe(401);
      expect((forged.json.error as { code: string }).code).toBe('INVALID_SIGNATURE');
      const unsigned = await fetch(stack.hookUrl('webhook'), { method: 'POST', body: JSON.stringify(body) });
      expect(unsigned.status).toBe(401);
      expect((await stack.adminClient.getRequest(req.id)).reviews).toHaveLength(0);
    });

    it('refuses stale and future timestamps with STALE_REQUEST even when correctly signed', async () => {
      const req = await pending();
      const body = { request_id: req.id, action: 'approve', person: { email: 'bob@example.com' } };
      const now = Math.floor(Date.now() / 1000);
      for (const timestamp of [now - 301, now + 301]) {
        const res = await postSignedDecision(stack.hookUrl('webhook'), SECRET, body, { timestamp });
        expect(res.status).toBe(401);
        expect((res.json.error as { code: string }).code).toBe('STALE_REQUEST');
      }
      expect((await stack.adminClient.getRequest(req.id)).reviews).toHaveLength(0);
    });

    it('answers unknown people, people without review rights and self-review without a review', async () => {
      const req = await pending();
      const cases = [
        { person: { email: 'nobody@example.com' }, status: 403, outcome: 'unknown_user' },
        { person: { email: 'mallory@example.com' }, status: 403, outcome: 'not_allowed' },
        { person: { email: 'alice@example.com' }, status: 403, outcome: 'own_request' },
      ];
      for (const c of cases) {
        const res = await postSignedDecision(stack.hookUrl('webhook'), SECRET, {
          request_id: req.id,
          action: 'approve',
          person: c.person,
        });
        expect({
          who: c.person,
          status: res.status,
          outcome: res.json.outcome,
          msg: res.json.message,
        }).toEqual({ who: c.person, status: c.status, outcome: c.outcome, msg: res.json.message });
        expect(typeof res.json.message).toBe('string');
      }
      const missing = await postSignedDecision(stack.hookUrl('webhook'), SECRET, {
        request_id: '00000000-0000-4000-8000-000000000000',
        action: 'approve',
        person: { email: 'bob@example.com' },
      });
      expect(missing.json.outcome).toBe('not_found');
      const after = await stack.adminClient.getRequest(req.id);
      expect(after.reviews).toHaveLength(0);
      expect(after.state).toBe('PENDING');
    });

    it('refuses a malformed but signed body with VALIDATION_FAILED', async () => {
      const res = await postSignedDecision(stack.hookUrl('webhook'), SECRET, {
        request_id: 'x',
        action: 'maybe',
      });
      expect(res.status).toBe(400);
      expect((res.json.error as { code: string }).code).toBe('VALIDATION_FAILED');
    });
  });
});
