// A hand-built PluginContext for plugin-level tests: an in-memory kv, a small stand-in for the
// host's decision path (who may review, thresholds, self-review, resolved requests) that records
// every decision it was handed, and cards kept in a map. End-to-end tests use the real host.

import type {
  Card,
  CardReview,
  DecisionOutcome,
  InboundDecision,
  Logger,
  PluginContext,
} from '../../../src/plugin-sdk/index.js';
import { loggerTo, MemoryKv, silentLog, testPluginContext } from '../plugin-context.js';

export { MemoryKv, silentLog };

export interface Reviewer {
  name: string;
  email: string;
  mayReview: boolean;
}

export function makeCard(over: Partial<Card> & { requestId: string }): Card {
  return {
    version: 1,
    state: 'PENDING',
    requester: { name: 'alice', email: 'alice@example.com' },
    roles: ['db-admin'],
    resources: [],
    reason: 'rotate the prod db credentials',
    suggestedReviewers: [],
    annotations: {},
    reviews: [],
    created: '2026-01-01T00:00:00.000Z',
    requestExpires: '2026-01-02T00:00:00.000Z',
    accessExpires: '2026-01-01T08:00:00.000Z',
    actions: ['approve', 'deny'],
    cliHint: `accessbot request review --approve|--deny ${over.requestId}`,
    links: [],
    ...over,
  };
}

export class TestDecisions {
  readonly cards = new Map<string, Card>();
  readonly received: InboundDecision[] = [];
  /** Approvals (and denials) needed to decide, like a role's thresholds. */
  approvalsNeeded = 1;

  constructor(readonly reviewers: Reviewer[]) {}

  async decide(d: InboundDecision): Promise<DecisionOutcome> {
    this.received.push(d);
    const card = this.cards.get(d.requestId);
    if (!card) return { kind: 'not_found', message: 'no such request' };
    const email = 'email' in d.person ? d.person.email : undefined;
    const who = this.reviewers.find((r) => r.email === email);
    if (!who) return { kind: 'unknown_user', message: 'no access user has this email', card };
    if (who.name === card.requester.name)
      return { kind: 'own_request', message: 'you cannot review your own request', card };
    if (card.state !== 'PENDING')
      return { kind: 'resolved', message: `the request is already ${card.state}`, card };
    if (!who.mayReview)
      return { kind: 'not_allowed', message: `${who.name} may not review this request`, card };
    if (card.reviews.some((r) => r.author === who.name))
      return { kind: 'already_reviewed', message: 'you already reviewed this request', card };
    const decision: CardReview['decision'] = d.action === 'approve' ? 'APPROVED' : 'DENIED';
    const reviews = [
      ...card.reviews,
      {
        author: who.name,
        submittedBy: 'jira',
        decision,
        reason: d.reason ?? '',
        roles: [],
        created: new Date().toISOString(),
      },
    ];
    const same = reviews.filter((r) => r.decision === decision).length;
    const next: Card = { ...card, version: card.version + 1, reviews };
    if (same >= this.approvalsNeeded) {
      next.state = decision;
      next.actions = [];
      next.resolution = { state: decision, by: who.name, ...(d.reason ? { reason: d.reason } : {}) };
    }
    this.cards.set(d.requestId, next);
    return {
      kind: 'done',
      message: next.state === 'PENDING' ? 'review recorded' : `request ${next.state}`,
      card: next,
    };
  }
}

/** Keeps every log call as a JSON line, so tests can look for leaked secrets. */
export function recordingLog(lines: string[]): Logger {
  return loggerTo((level, obj, msg) => void lines.push(JSON.stringify({ level, obj, msg })));
}

export function testContext<C>(
  config: C,
  decisions: TestDecisions,
  kv = new MemoryKv(),
  log: Logger = silentLog,
): PluginContext<C> {
  return testPluginContext('jira', config, {
    kv,
    log,
    decide: (d) => decisions.decide(d),
    getCard: async (id) => decisions.cards.get(id) ?? null,
  });
}
