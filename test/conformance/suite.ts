// The plugin conformance suite: one set of behaviour tests every plugin passes against its own
// fake platform, through the adapter it gives (test/conformance/adapter.ts). Each run starts
// the real API, the real host on the test Redis and the plugin's real SDK pointed at the fake,
// and judges only what a person would see on the platform and what the API recorded.
// Capabilities a platform lacks are not skipped tests: their tests are not defined, and the
// describe title says which.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import type { RouteRule } from '../../src/config/schema.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { type AccessWorld, startWorld, type WorldKind, waitFor } from './access-world.js';
import type { ConformanceAdapter, DecisionArgs, PlatformFake, PlatformMessage } from './adapter.js';
import { PEOPLE, platformUsers, QUICK_ROLE, SLOW_ROLE } from './world.js';

/** How long the suite waits for something a person should see (generous: a loaded 2-core machine). */
const SEE_MS = 20_000;
/** How long to keep watching for a second copy before counting. */
const PAUSE_MS = 600;
/** Retry-After the rate-limit test asks for, in seconds. */
const RETRY_AFTER_S = 1;
/** Request TTL of the expiry test: long enough for the first post on a loaded machine. */
const EXPIRY_TTL = '4s';

const ACTIONS = ['approve', 'deny'];

/** What the describe title says a fake can and cannot do (known before the fake starts). */
export interface ConformanceCapabilities {
  /** `replies` is given: reviews appear as threaded replies, comments or notes. */
  replies: boolean;
  /** `loseNextAnswers` is given. */
  lostAnswers: boolean;
  /** `decisions` is given: people decide on the platform. */
  decisions: boolean;
}

function titleOf(id: string, caps: ConformanceCapabilities, world: WorldKind): string {
  const missing = [
    caps.decisions ? undefined : 'inbound decisions (the platform takes none)',
    caps.replies ? undefined : 'threaded replies (the platform does not thread)',
    caps.lostAnswers ? undefined : 'lost answers (the fake cannot lose one)',
  ].filter((x): x is string => x !== undefined);
  const on = world === 'teleport' ? ' on a Teleport cluster' : '';
  return `plugin conformance: ${id}${on}${missing.length > 0 ? `; not defined here: ${missing.join(', ')}` : ''}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Defines the conformance tests for one plugin. `caps` must agree with what the adapter's fake
 * gives (the suite checks it once the fake is up), so the title and the defined tests are
 * known when vitest collects them.
 */
export function describeConformance(
  adapter: ConformanceAdapter,
  caps: ConformanceCapabilities,
  world: WorldKind = 'api',
): void {
  describe(titleOf(adapter.id, caps, world), () => {
    let fake: PlatformFake;
    let stack: AccessWorld;
    /** Root messages a new request gets: one per reviewer recipient, and the requester's copy. */
    let expectedMessages: number;

    beforeAll(async () => {
      fake = await adapter.startFake(platformUsers());
      expect(
        { replies: !!fake.replies, lostAnswers: !!fake.loseNextAnswers, decisions: !!fake.decisions },
        'the capabilities the test file declares match its fake',
      ).toEqual(caps);
      const routing: RouteRule[] = [{ roles: ['*'], targets: { [adapter.id]: fake.reviewerRecipients } }];
      stack = await startWorld(world, {
        fake,
        pluginId: adapter.id,
        definition: adapter.definition as PluginDefinition,
        routing,
        delivery: { backoff: '50ms', max_backoff: '1s', attempts: 30 },
      });
      expectedMessages = fake.reviewerRecipients.length + (adapter.definition.traits?.directMessages ? 1 : 0);
    });

    afterAll(async () => {
      await stack?.stop();
      await fake?.stop();
    });

    const request = (user: string, role: string, reason: string, requestTtl?: string) =>
      stack.createRequest(user, role, reason, requestTtl);
    const quickRequest = (reason: string, requestTtl?: string) =>
      request(PEOPLE.requester, QUICK_ROLE, reason, requestTtl);
    const current = (id: string): Promise<Pick<AccessRequest, 'state' | 'reviews'>> => stack.current(id);
    const review = (user: string, id: string, state: 'APPROVED' | 'DENIED', reason: string) =>
      stack.review(user, id, state, reason);

    /** Waits until every expected message of `id` is there and passes `check`; returns them. */
    async function messagesWhen(
      id: string,
      check: (m: PlatformMessage) => boolean,
      what: string,
    ): Promise<PlatformMessage[]> {
      let last: PlatformMessage[] = [];
      try {
        return await waitFor(
          async () => {
            last = await fake.messages(id);
            return last.length >= expectedMessages && last.every(check) ? last : undefined;
          },
          SEE_MS,
          what,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; the platform shows ${JSON.stringify(last, null, 1)}`);
      }
    }

    const pending = (id: string) =>
      messagesWhen(id, (m) => m.status === 'PENDING', `the PENDING messages of ${id}`);

    /** Exactly one message per target, counted after a pause that lets a stray copy arrive. */
    async function expectOnePerTarget(id: string): Promise<PlatformMessage[]> {
      await sleep(PAUSE_MS);
      const messages = await fake.messages(id);
      expect(messages, 'one message per target').toHaveLength(expectedMessages);
      expect(new Set(messages.map((m) => m.target)).size, 'no target holds two').toBe(expectedMessages);
      return messages;
    }

    /** Reviewer copies offer approve and deny; the requester's copy (if any) offers nothing. */
    function expectPendingActions(messages: PlatformMessage[]): void {
      if (!caps.decisions) return;
      const withActions = messages.filter((m) => m.actions.length > 0);
      expect(withActions, 'reviewer messages offer decisions').toHaveLength(fake.reviewerRecipients.length);
      for (const m of withActions) expect([...m.actions].sort()).toEqual(ACTIONS);
    }

    /** Every fault the test set has hit a call (where the fake can tell). */
    const expectFaultsUsed = () => {
      if (fake.unusedFaults) expect(fake.unusedFaults(), 'faults that never hit a call').toBe(0);
    };

    const resolvedAs = (id: string, status: string) =>
      messagesWhen(
        id,
        (m) => m.status === status && m.actions.length === 0,
        `every message of ${id} showing ${status} without actions`,
      );

    // First, on a platform the plugin has not posted to yet: nothing learnt from an earlier post
    // (a channel's ID, say) may help the retry find its first try.
    if (caps.lostAnswers) {
      it('a post whose answer was lost is not posted again by the retry', async () => {
        fake.loseNextAnswers!(1);
        const req = await quickRequest('conformance: lost answer');
        await pending(req.id);
        await expectOnePerTarget(req.id);
        expectFaultsUsed();
        // The retry ended holding the one message: a decision edits it rather than a stray copy.
        await review(PEOPLE.reviewers[0], req.id, 'APPROVED', 'after the lost answer');
        await resolvedAs(req.id, 'APPROVED');
        await expectOnePerTarget(req.id);
      });
    }

    it('a new request: one message per target, PENDING, and no second copy after a pause', async () => {
      const req = await quickRequest('conformance: new request');
      const shown = await pending(req.id);
      expectPendingActions(shown);
      for (const m of shown) expect(m.text).toContain(PEOPLE.requester);
      const counted = await expectOnePerTarget(req.id);
      expect(counted.every((m) => m.status === 'PENDING')).toBe(true);
    });

    it('each review updates the messages, and the deciding approval shows APPROVED without actions', async () => {
      const req = await request(PEOPLE.teamRequester, SLOW_ROLE, 'conformance: three approvals');
      await pending(req.id);
      const [first, second, last] = PEOPLE.reviewers;
      for (const reviewer of [first, second]) {
        await review(reviewer, req.id, 'APPROVED', `ok from ${reviewer}`);
        const seen = await messagesWhen(
          req.id,
          (m) => m.status === 'PENDING' && m.text.includes(reviewer),
          `the messages of ${req.id} naming the review by ${reviewer}`,
        );
        expectPendingActions(seen);
      }
      await review(last, req.id, 'APPROVED', `ok from ${last}`);
      await resolvedAs(req.id, 'APPROVED');
      expect((await current(req.id)).state).toBe('APPROVED');
      await expectOnePerTarget(req.id);
    });

    it('a denial shows DENIED without actions', async () => {
      const req = await quickRequest('conformance: to be denied');
      await pending(req.id);
      await review(PEOPLE.reviewers[0], req.id, 'DENIED', 'not this week');
      await resolvedAs(req.id, 'DENIED');
      await expectOnePerTarget(req.id);
    });

    it('an expiry shows EXPIRED without actions', async () => {
      const req = await quickRequest('conformance: left to expire', EXPIRY_TTL);
      await pending(req.id);
      await resolvedAs(req.id, 'EXPIRED');
      expect((await current(req.id)).state).toBe('EXPIRED');
      await expectOnePerTarget(req.id);
    });

    it('a withdrawal (request deleted) shows WITHDRAWN without actions', async () => {
      const req = await quickRequest('conformance: to be withdrawn');
      await pending(req.id);
      await stack.deleteRequest(req.id);
      await resolvedAs(req.id, 'WITHDRAWN');
      await expectOnePerTarget(req.id);
    });

    it('a platform 5xx then a 429 with Retry-After delay the post, which still lands once per target', async () => {
      fake.failNext(1);
      fake.rateLimitNext(1, RETRY_AFTER_S);
      const started = Date.now();
      const req = await quickRequest('conformance: through an outage');
      await pending(req.id);
      // The 429 came after the request was created, and nothing may land before its wait is over.
      expect(Date.now() - started).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000);
      expectPendingActions(await expectOnePerTarget(req.id));
      expectFaultsUsed();
    });

    if (caps.replies) {
      it('one threaded reply per review and message, never repeated', async () => {
        // Two approvals of three: the request stays pending, so no resolution text names them.
        const req = await request(PEOPLE.teamRequester, SLOW_ROLE, 'conformance: replies');
        const threads = (await pending(req.id)).length;
        const naming = async (who: string) => (await fake.replies!(req.id)).filter((t) => t.includes(who));
        const [first, second] = PEOPLE.reviewers;
        for (const reviewer of [first, second]) {
          await review(reviewer, req.id, 'APPROVED', `reply check by ${reviewer}`);
          await waitFor(
            async () => (await naming(reviewer)).length >= threads,
            SEE_MS,
            `a reply naming ${reviewer} under each of the ${threads} messages`,
          );
        }
        await sleep(PAUSE_MS);
        for (const reviewer of [first, second])
          expect(await naming(reviewer), `one reply per message naming ${reviewer}`).toHaveLength(threads);
      });
    }

    if (caps.replies && caps.lostAnswers) {
      it('a reply whose answer was lost is not posted again by the retry', async () => {
        const req = await request(PEOPLE.teamRequester, SLOW_ROLE, 'conformance: lost reply');
        const threads = (await pending(req.id)).length;
        const reviewer = PEOPLE.reviewers[0];
        const naming = async () => (await fake.replies!(req.id)).filter((t) => t.includes(reviewer));
        fake.loseNextAnswers!(1);
        await review(reviewer, req.id, 'APPROVED', 'the answer to this reply is lost');
        await waitFor(
          async () => (await naming()).length >= threads && (fake.unusedFaults?.() ?? 0) === 0,
          SEE_MS,
          `a reply naming ${reviewer} under each of the ${threads} messages`,
        );
        expectFaultsUsed();
        // Long enough for the retry of the reply whose answer was lost (backoff 50 ms).
        await sleep(PAUSE_MS * 2);
        expect(await naming(), `one reply per message naming ${reviewer}`).toHaveLength(threads);
      });
    }

    if (caps.decisions) {
      const decideArgs = (requestId: string, user: string, reason: string): DecisionArgs => ({
        requestId,
        user,
        action: 'approve',
        reason,
      });
      const hookUrl = (path: string) => stack.hookUrl(adapter.id, path);

      it('a forged or a stale decision is refused and records no review', async () => {
        const req = await quickRequest('conformance: forged clicks');
        await pending(req.id);
        const forged = await fake.decisions!.forged(
          hookUrl,
          decideArgs(req.id, PEOPLE.reviewers[0], 'forged'),
        );
        expect(forged.status, 'a forged call is refused').toBeGreaterThanOrEqual(400);
        expect(forged.status).toBeLessThan(500);
        await fake.decisions!.stale(hookUrl, decideArgs(req.id, PEOPLE.reviewers[0], 'stale'));
        await sleep(PAUSE_MS);
        const after = await current(req.id);
        expect(after.reviews).toEqual([]);
        expect(after.state).toBe('PENDING');
      });

      it('an unmapped person, the requester and a person without review rights are refused, shown why, and record nothing', async () => {
        const req = await quickRequest('conformance: refusals');
        await pending(req.id);
        for (const user of [PEOPLE.unmapped, PEOPLE.requester, PEOPLE.noRights]) {
          const answer = await fake.decisions!.decide(hookUrl, decideArgs(req.id, user, `try by ${user}`));
          expect(answer.shown.trim(), `${user} is shown a refusal`).not.toBe('');
          const now = await current(req.id);
          expect(now.reviews, `no review after ${user}`).toEqual([]);
          expect(now.state).toBe('PENDING');
        }
        const still = await pending(req.id);
        expectPendingActions(still);
      });

      it('a decision by a mapped reviewer is exactly one review by that person', async () => {
        const req = await quickRequest('conformance: decided on the platform');
        await pending(req.id);
        const reviewer = PEOPLE.reviewers[1];
        const reason = 'looks right';
        const answer = await fake.decisions!.decide(hookUrl, {
          requestId: req.id,
          user: reviewer,
          action: 'approve',
          reason,
        });
        expect(answer.status).toBeLessThan(400);
        await resolvedAs(req.id, 'APPROVED');
        await sleep(PAUSE_MS);
        const after = await current(req.id);
        expect(after.state).toBe('APPROVED');
        expect(after.reviews).toHaveLength(1);
        expect(after.reviews[0]).toMatchObject({ author: reviewer, proposedState: 'APPROVED', reason });
        await expectOnePerTarget(req.id);
      });
    }
  });
}
