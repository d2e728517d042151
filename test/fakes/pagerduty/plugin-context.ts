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
  type PluginContext,
  type PluginKv,
} from '../../../src/plugin-sdk/index.js';

export function memoryKv(): PluginKv & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    async get(key) {
      return data.get(key) ?? null;
    },
    async set(key, value) {
      data.set(key, value);
    },
    async setIfAbsent(key, value) {
      if (data.has(key)) return false;
      data.set(key, value);
      return true;
    },
    async delete(key) {
      data.delete(key);
    },
  };
}

export interface LogLine {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      lines.push(
        typeof obj === 'string'
          ? { level, obj: {}, msg: obj }
          : { level, obj: obj as Record<string, unknown>, msg: msg ?? '' },
      );
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function testContext<C>(config: C) {
  const kv = memoryKv();
  const log = recordingLogger();
  const decisions: InboundDecision[] = [];
  const ctx: PluginContext<C> = {
    id: 'pagerduty',
    config,
    log,
    kv,
    async decide(decision): Promise<DecisionOutcome> {
      decisions.push(decision);
      return { kind: 'done', message: 'recorded' };
    },
    async getCard() {
      return null;
    },
  };
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
