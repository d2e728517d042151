// What to do about a failure, for every job type and for the work a job does inline (the
// route job's immediate post, each request of a route-batch): one classifier, four answers.
//
//   retry-now       another writer holds the target, or the message to reply to is not posted
//                   yet: wait a moment (jittered) and run again, spending no attempt;
//   retry-after     a temporary failure: exponential backoff with "equal jitter" (half fixed,
//                   half random) from `host.delivery.backoff`, capped at `max_backoff`, the first
//                   retry included, for `attempts` tries;
//   pause-platform  the platform said wait (429 + Retry-After), or this host already waits for
//                   it: every call and job of the plugin waits, spending no attempt;
//   dead-letter     permanent or auth failures, or attempts used up: the failed set, which an
//                   operator lists and replays.
//
// BullMQ owns every retry (plugins' SDK clients retry nothing), so this is the one place where
// backoff, Retry-After and the dead-letter decision are made.

import { UnrecoverableError } from 'bullmq';
import type { DeliveryConfig } from '../../config/schema.js';
import { PluginError } from '../../plugin-sdk/index.js';

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export const BACKOFF_TYPE = 'accessbot';

export function retryPolicyFrom(delivery: DeliveryConfig): RetryPolicy {
  return { attempts: delivery.attempts, baseMs: delivery.backoff, maxMs: delivery.max_backoff };
}

/** The work is someone else's right now (the target lock is held, the message not yet posted). */
export class TargetBusy extends Error {
  constructor(
    readonly waitMs: number,
    message = 'another writer holds this target',
  ) {
    super(message);
    this.name = 'TargetBusy';
  }
}

/** A platform call not made because this host is waiting out the platform's Retry-After. */
export class PlatformPaused extends Error {
  constructor(readonly waitMs: number) {
    super('the platform asked us to wait');
    this.name = 'PlatformPaused';
  }
}

export type RetryDecision =
  | { kind: 'retry-now'; delayMs: number }
  | { kind: 'retry-after'; delayMs: number }
  | { kind: 'pause-platform'; delayMs: number }
  | { kind: 'dead-letter'; error: Error; reason: string };

/** A little spread so a whole queue of retries does not land on the same millisecond. */
const spread = (ms: number, random: () => number) => Math.floor(random() * Math.min(1000, ms * 0.1 + 50));

/** Delay before retrying after try number `attempt` (1 = the first try) failed with `err`. */
export function backoffDelayMs(
  policy: RetryPolicy,
  attempt: number,
  err: unknown,
  random = Math.random,
): number {
  if (err instanceof PluginError && err.kind === 'rate_limited' && err.retryAfterMs !== undefined)
    return err.retryAfterMs + spread(err.retryAfterMs, random);
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(exp / 2 + random() * (exp / 2));
}

/** Whether a failure should skip the remaining attempts and go straight to the dead letters. */
export function isPermanent(err: unknown): boolean {
  return err instanceof PluginError && (err.kind === 'permanent' || err.kind === 'auth');
}

/**
 * What to do after try number `attempt` (1-based, counting tries made before this job, such as
 * a route job's inline post) failed with `err`.
 */
export function classifyFailure(
  err: unknown,
  policy: RetryPolicy,
  attempt: number,
  random = Math.random,
): RetryDecision {
  if (err instanceof TargetBusy)
    return { kind: 'retry-now', delayMs: err.waitMs + Math.floor(random() * err.waitMs) };
  if (err instanceof PlatformPaused)
    return { kind: 'pause-platform', delayMs: err.waitMs + spread(err.waitMs, random) };
  if (err instanceof PluginError && err.kind === 'rate_limited')
    return { kind: 'pause-platform', delayMs: backoffDelayMs(policy, attempt, err, random) };
  const message = err instanceof Error ? err.message : String(err);
  if (isPermanent(err)) {
    const kind = err instanceof PluginError ? err.kind : 'error';
    const reason = `${kind}: ${message}`;
    return { kind: 'dead-letter', error: new UnrecoverableError(reason), reason };
  }
  if (attempt >= policy.attempts)
    return { kind: 'dead-letter', error: err instanceof Error ? err : new Error(message), reason: message };
  return { kind: 'retry-after', delayMs: backoffDelayMs(policy, attempt, err, random) };
}
