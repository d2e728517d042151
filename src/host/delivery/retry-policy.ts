// How failed deliveries are retried. BullMQ owns every retry (plugins' SDK clients retry
// nothing), so backoff, Retry-After and the dead-letter decision live here only.
//
// - rate_limited: the whole plugin queue pauses for Retry-After and the job goes back to wait
//   without spending an attempt (see delivery-worker.ts); this strategy is the fallback.
// - permanent / auth on delivery: no retry (UnrecoverableError → failed set = dead letters).
// - everything else: exponential backoff with "equal jitter" (half fixed, half random),
//   capped at max_backoff, for `attempts` tries.

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
  return {
    attempts: delivery.attempts,
    baseMs: delivery.backoff,
    maxMs: delivery.max_backoff,
  };
}

export function backoffDelayMs(
  policy: RetryPolicy,
  attemptsMade: number,
  err: unknown,
  random = Math.random,
): number {
  if (err instanceof PluginError && err.kind === 'rate_limited' && err.retryAfterMs !== undefined) {
    // A little spread so a whole queue of retries does not land on the same millisecond.
    return err.retryAfterMs + Math.floor(random() * Math.min(1000, err.retryAfterMs * 0.1 + 50));
  }
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.floor(exp / 2 + random() * (exp / 2));
}

/** Whether a failure should skip the remaining attempts and go straight to the dead letters. */
export function isPermanent(err: unknown): boolean {
  return err instanceof PluginError && (err.kind === 'permanent' || err.kind === 'auth');
}

export function toDeadLetter(err: unknown): UnrecoverableError {
  const kind = err instanceof PluginError ? err.kind : 'error';
  const message = err instanceof Error ? err.message : String(err);
  return new UnrecoverableError(`${kind}: ${message}`);
}
