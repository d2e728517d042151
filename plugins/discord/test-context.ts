// A hand-built PluginContext for the plugin-level tests (on the shared pieces of
// test/fakes/plugin-context.ts): a recording `decide` whose outcomes (and delay) the test
// scripts, cards from a map, and a person directory standing in for the host's lookupPerson.

import {
  type AccessRequest,
  type Card,
  cardFromRequest,
  type DecisionOutcome,
  type InboundDecision,
  type PersonInfo,
  type PluginContext,
} from '../../src/plugin-sdk/index.js';
import { MemoryKv, testPluginContext } from '../../test/fakes/plugin-context.js';
import type plugin from './index.js';

export type DiscordTestConfig = ReturnType<typeof plugin.configSchema.parse>;

export interface TestContext {
  ctx: PluginContext<DiscordTestConfig>;
  kv: MemoryKv;
  decisions: InboundDecision[];
  cards: Map<string, Card>;
  /** Access users by email, as the host's lookupPerson would find them. */
  people: Map<string, PersonInfo>;
  /** What `decide` answers next (default: done, with the card of the request if known). */
  nextOutcome: (d: InboundDecision) => DecisionOutcome;
  /** How long `decide` takes (ms). */
  decideDelayMs: number;
}

export function testContext(config: DiscordTestConfig): TestContext {
  const kv = new MemoryKv();
  const t: TestContext = {
    kv,
    decisions: [],
    cards: new Map(),
    people: new Map(),
    decideDelayMs: 0,
    nextOutcome: (d) => {
      const card = t.cards.get(d.requestId);
      return { kind: 'done', message: 'Your review was recorded.', ...(card ? { card } : {}) };
    },
    ctx: undefined as never,
  };
  const ctx = testPluginContext('discord', config, {
    kv,
    async decide(decision) {
      t.decisions.push(decision);
      if (t.decideDelayMs > 0) await new Promise((r) => setTimeout(r, t.decideDelayMs));
      return t.nextOutcome(decision);
    },
    async getCard(id) {
      return t.cards.get(id) ?? null;
    },
  });
  ctx.lookupPerson = async (person) => ('email' in person ? (t.people.get(person.email) ?? null) : null);
  t.ctx = ctx;
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
