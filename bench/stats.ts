// The arithmetic and timing loops every bench shares, so each bench's figures mean the same
// thing: a p99 here is the p99 there.

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

/** How many per second `count` operations made, started at `startMs` (performance.now()). */
export function perSecond(count: number, startMs: number): number {
  return count / ((performance.now() - startMs) / 1000);
}

/** Mean milliseconds of `fn` over `n` sequential calls, after 10 warm-ups (called with -1..-10). */
export async function meanMs(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 10; i++) await fn(-1 - i);
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return (performance.now() - start) / n;
}

/** Polls `cond` every 2 ms (benches time what they wait for) until it is truthy. */
export async function until<T>(
  cond: () => T | undefined | null | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(2);
  }
}
