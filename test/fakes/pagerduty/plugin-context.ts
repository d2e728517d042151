// Test helpers for driving the plugin through the SDK contract: an in-memory kv, a logger that
// keeps what it was told, and cards built the way the host builds them.

import { randomUUID } from 'node:crypto';
import {
  type AccessRequest,
  type Card,
  cardFromRequest,
  type DecisionOutcome,
  type InboundDecision,
  type Logger,
} from '../../../src/plugin-sdk/index.js';
import { loggerTo, MemoryKv, testPluginContext } from '../plugin-context.js';

export interface LogLine {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = loggerTo((level, obj, msg) => {
    lines.push(
      typeof obj === 'string'
        ? { level, obj: {}, msg: obj }
        : { level, obj: obj as Record<string, unknown>, msg: msg ?? '' },
    );
  });
  return Object.assign(log, { lines });
}

export function testContext<C>(config: C) {
  const kv = new MemoryKv();
  const log = recordingLogger();
  const decisions: InboundDecision[] = [];
  const ctx = testPluginContext('pagerduty', config, {
    log,
    kv,
    async decide(decision): Promise<DecisionOutcome> {
      decisions.push(decision);
      return { kind: 'done', message: 'recorded' };
    },
    async getCard() {
      return null;
    },
  });
  return { ctx, kv, log, decisions };
}

export function requestCard(
  overrides: Partial<AccessRequest> = {},
  opts: { email?: string; audience?: 'reviewer' | 'requester' } = {},
): Card {
  const now = new Date();
  const request: AccessRequest = {
    id: randomUUID(),
    user: 'alice',
    roles: ['dba'],
    resources: [],
    reason: 'fix the replication lag',
    suggestedReviewers: [],
    annotations: {},
    thresholds: [{ approve: 1, deny: 1 }],
    roleThresholds: { dba: [0] },
    state: 'PENDING',
    reviews: [],
    created: now.toISOString(),
    requestExpires: new Date(now.getTime() + 3_600_000).toISOString(),
    accessExpires: new Date(now.getTime() + 7_200_000).toISOString(),
    approvedRoles: [],
    version: 1,
    ...overrides,
  };
  return cardFromRequest(request, {
    ...(opts.email ? { requesterEmail: opts.email } : {}),
    audience: opts.audience ?? 'reviewer',
  });
}
