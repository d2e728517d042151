// A hand-built PluginContext for plugin-level tests (the shared pieces of
// test/fakes/plugin-context.ts): a recording `decide` whose outcomes the test scripts, logs
// kept for assertions, and cards from a map. It exercises the SDK contract, not the host.

import {
  type AccessRequest,
  type Card,
  cardFromRequest,
  type DecisionOutcome,
  type InboundDecision,
  type PluginContext,
} from '../../src/plugin-sdk/index.js';
import { loggerTo, MemoryKv, testPluginContext } from '../../test/fakes/plugin-context.js';

export interface TestContext<C> {
  ctx: PluginContext<C>;
  kv: MemoryKv;
  decisions: InboundDecision[];
  cards: Map<string, Card>;
  /** What `decide` answers next (default: done). */
  nextOutcome: (d: InboundDecision) => DecisionOutcome;
  logs: { level: string; obj: unknown; msg?: string }[];
}

export function testContext<C>(config: C): TestContext<C> {
  const kv = new MemoryKv();
  const logs: TestContext<C>['logs'] = [];
  const t: TestContext<C> = {
    kv,
    decisions: [],
    cards: new Map(),
    logs,
    nextOutcome: () => ({ kind: 'done', message: 'Your review was recorded.' }),
    ctx: undefined as never,
  };
  t.ctx = testPluginContext('slack', config, {
    kv,
    log: loggerTo((level, obj, msg) => logs.push({ level, obj, ...(msg ? { msg } : {}) })),
    async decide(decision) {
      t.decisions.push(decision);
      return t.nextOutcome(decision);
    },
    async getCard(id) {
      return t.cards.get(id) ?? null;
    },
  });
  return t;
}

let counter = 0;

export function testRequest(over: Partial<AccessRequest> = {}): AccessRequest {
  counter += 1;
  const now = new Date();
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    user: 'bob',
    roles: ['dba'],
    resources: [],
    reason: 'fix the replica',
    suggestedReviewers: [],
    annotations: {},
    thresholds: [{ approve: 1, deny: 1 }],
    roleThresholds: { dba: [0] },
    state: 'PENDING',
    reviews: [],
    created: now.toISOString(),
    requestExpires: new Date(now.getTime() + 3600_000).toISOString(),
    accessExpires: new Date(now.getTime() + 8 * 3600_000).toISOString(),
    approvedRoles: [],
    version: 1,
    ...over,
  };
}

export const testCard = (
  over: Partial<AccessRequest> = {},
  audience: 'reviewer' | 'requester' = 'reviewer',
) => cardFromRequest(testRequest(over), { audience, requesterEmail: 'bob@example.com' });
