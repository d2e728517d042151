// The on-call contract suite: one set of behaviour tests every on-call provider passes against
// its own fake, through the adapter it gives (adapter.ts). Each run starts the real API, the
// real host on the test Redis and the plugin's real SDK pointed at the fake, with the host's
// `auto_approval` policy and `review_as` user, and judges what the API recorded (reviews, by
// whom), what the host logged (the refusal reason) and what the fake holds (alerts).

import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import type { OnCallAdapter, OnCallFake } from './adapter.js';
import {
  buildWorld,
  type CaseName,
  onCallPeople,
  QUICK_ROLE,
  REVIEW_AS,
  requesterOf,
  TWO_APPROVALS_ROLE,
  UNLISTED_ROLE,
} from './world.js';

/** How long to wait for something the host should do (generous: a loaded 2-core machine). */
const SEE_MS = 20_000;
/** How long to keep watching for a second review or alert before counting. */
const PAUSE_MS = 800;
const RETRY_AFTER_S = 1;

type LogLine = Record<string, unknown> & { msg?: string; requestId?: string; why?: string };

export function describeOnCallContract(adapter: OnCallAdapter): void {
  const title = `on-call contract: ${adapter.name ?? adapter.id}${adapter.levels ? '' : '; not defined here: escalation levels (the provider has none)'}`;
  describe(title, () => {
    let fake: OnCallFake;
    let stack: TestStack;
    const lines: LogLine[] = [];

    beforeAll(async () => {
      fake = await adapter.startFake(onCallPeople());
      const world = buildWorld(adapter, fake);
      stack = await startTestStack({
        rolesYaml: world.rolesYaml,
        users: world.users,
        definitions: new Map([[adapter.id, adapter.definition as PluginDefinition]]),
        plugins: {
          [adapter.id]: { ...fake.pluginConfig, review_as: REVIEW_AS, auto_approval: world.policy },
        },
        routing: [{ roles: ['*'], targets: { [adapter.id]: fake.recipients } }],
        delivery: { backoff: '50ms', max_backoff: '1s', attempts: 30 },
        logLevel: 'info',
        logDestination: new Writable({
          write(chunk: Buffer, _encoding, done) {
            for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
              lines.push(JSON.parse(line) as LogLine);
            done();
          },
        }),
      });
    });

    afterAll(async () => {
      await stack?.stop();
      await fake?.stop();
    });

    const roleOf: Partial<Record<CaseName, string>> = {
      roleNotAllowed: UNLISTED_ROLE,
      twoApprovals: TWO_APPROVALS_ROLE,
    };
    const ask = async (name: CaseName): Promise<AccessRequest> =>
      (await stack.clientFor(requesterOf(name))).createRequest({
        roles: [roleOf[name] ?? QUICK_ROLE],
        reason: `on-call contract: ${name}`,
      });
    const current = (id: string) => stack.adminClient.getRequest(id);

    /** The host's verdict on a request: its refusal line, or its "submitted" line. */
    const verdictOf = (id: string) =>
      stack.waitFor(
        () =>
          lines.find(
            (l) => l.requestId === id && (l.why !== undefined || l.msg === 'automatic review submitted'),
          ),
        SEE_MS,
        `the host's on-call verdict on ${id}`,
      );

    async function expectRefused(name: CaseName, why: string): Promise<void> {
      const req = await ask(name);
      const line = await verdictOf(req.id);
      expect(line.why, String(line.msg)).toBe(why);
      await sleep(PAUSE_MS);
      const now = await current(req.id);
      expect(now.reviews, 'no review was submitted').toEqual([]);
      expect(now.state).toBe('PENDING');
    }

    async function approvedOnce(id: string): Promise<AccessRequest> {
      await stack.waitFor(
        async () => (await current(id)).reviews.length > 0,
        SEE_MS,
        `the on-call review of ${id}`,
      );
      await sleep(PAUSE_MS);
      const now = await current(id);
      expect(now.reviews).toHaveLength(1);
      expect(now.reviews[0]!.author).toBe(REVIEW_AS);
      expect(now.reviews[0]!.proposedState).toBe('APPROVED');
      return now;
    }

    it('on call at level 1 in a named scope: approved once, by the review_as user', async () => {
      const req = await ask('approved');
      const now = await approvedOnce(req.id);
      expect(now.state).toBe('APPROVED');
      expect(now.reviews[0]!.reason).toContain('On call in');
      expect(now.reviews[0]!.reason).toContain('escalation level 1');
    });

    if (adapter.levels)
      it('on call only at level 2 with a limit of 1: not approved, logged as level_too_high', async () => {
        await expectRefused('levelTwo', 'level_too_high');
      });

    it('on call in another scope than the request names: not approved (not_on_call)', async () => {
      await expectRefused('otherScope', 'not_on_call');
    });

    it('on call through a schedule outside auto_approval.schedules: not approved', async () => {
      await expectRefused('otherSchedule', 'schedule_not_allowed');
    });

    it('not on call: not approved', async () => {
      await expectRefused('notOnCall', 'not_on_call');
    });

    it('a requested role outside auto_approval.roles: not approved, and the provider is not asked', async () => {
      const before = fake.onCallReads();
      await expectRefused('roleNotAllowed', 'role_not_allowed');
      expect(fake.onCallReads(), 'on-call reads').toBe(before);
    });

    it('a role needing two approvals: the on-call approval counts as one, and only one', async () => {
      const req = await ask('twoApprovals');
      const now = await approvedOnce(req.id);
      expect(now.state).toBe('PENDING');
      // A second reviewer decides it: the on-call review really counted.
      await stack.adminClient.submitReview(req.id, { proposedState: 'APPROVED', reason: 'second' });
      expect((await current(req.id)).state).toBe('APPROVED');
    });

    it('a 5xx then a 429 on the on-call reads: retried, never approved on an error, then approved once', async () => {
      fake.failNextOnCallReads(2);
      fake.rateLimitNextOnCallReads(1, RETRY_AFTER_S);
      const started = Date.now();
      const req = await ask('outage');
      // While a fault is still waiting for its call, nothing may have been approved.
      while (fake.unusedFaults() > 0 && Date.now() - started < SEE_MS) {
        expect((await current(req.id)).reviews).toEqual([]);
        await sleep(20);
      }
      expect(fake.unusedFaults(), 'every fault hit an on-call read').toBe(0);
      const now = await approvedOnce(req.id);
      expect(now.state).toBe('APPROVED');
      expect(Date.now() - started).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000);
      expect(lines.some((l) => l.requestId === req.id && l.why !== undefined)).toBe(false);
    });

    it('one alert per request, even when the answer to its creation was lost', async () => {
      fake.loseNextAlertAnswers(1);
      const req = await ask('lostAlert');
      await approvedOnce(req.id);
      await stack.waitFor(async () => (await fake.alertsFor(req.id)) > 0, SEE_MS, `the alert of ${req.id}`);
      await sleep(PAUSE_MS);
      expect(await fake.alertsFor(req.id)).toBe(1);
      expect(fake.unusedFaults(), 'the lost answer hit the alert creation').toBe(0);
      // Every earlier request also got exactly one.
      for (const name of ['approved', 'notOnCall', 'twoApprovals', 'outage'] as const) {
        const [mine] = await stack.adminClient.listRequests({ user: requesterOf(name) });
        expect(await fake.alertsFor(mine!.id), `alerts of ${name}`).toBe(1);
      }
    });
  });
}
