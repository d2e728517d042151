// /readyz: whether this host can do its work now, and if not, why, within a second whatever
// Redis, the API or a plugin does. Redis is asked over the fail-fast connection (refuses at
// once while disconnected, gives up on a frozen server); the watcher and the plugins answer
// from memory.

import type { Redis } from 'ioredis';
import type { ActivePlugin } from '../activation/active-plugins.js';
import { redisCheck } from '../redis/fail-fast-redis.js';
import { within } from './within.js';

/** The longest /readyz may take, so a probe with a one-second timeout always gets an answer. */
export const READINESS_BUDGET_MS = 600;

export interface ReadinessDeps {
  redis: Redis;
  /** `ok`, or what keeps the watcher from following the stream. */
  watcherStatus(): string;
  plugins: Iterable<ActivePlugin>;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

export async function readiness(d: ReadinessDeps): Promise<Readiness> {
  const checks: Record<string, string> = {};
  checks.redis =
    (await within(redisCheck(d.redis), READINESS_BUDGET_MS)) ??
    `down: no answer within ${READINESS_BUDGET_MS} ms`;
  checks.watcher = d.watcherStatus();
  for (const p of d.plugins) {
    checks[`plugin.${p.id}`] = p.healthy ? 'ok' : `unhealthy: ${p.lastError ?? ''}`;
    if (p.autoReviewSetup) checks[`plugin.${p.id}.auto_review`] = p.autoReviewSetup.status();
  }
  return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
}
