// /metrics: the counters live in the process; the gauges read from Redis (queue depths, dead
// letters) and from the API (watcher lag) are refreshed at each scrape within a budget, so a
// scrape answers within a second whatever Redis or the API does. While Redis does not answer,
// `accessbot_redis_up` is 0 and the Redis gauges are left out rather than shown stale. A refresh
// that outlives its scrape is not started again until it ends (a frozen Redis would otherwise
// pile up one set of queued commands per scrape).

import type { Redis } from 'ioredis';
import type { DeliveryQueues } from '../delivery/delivery-queues.js';
import { redisCheck } from '../redis/fail-fast-redis.js';
import type { AccessSource } from '../source/access-source.js';
import type { HostMetrics } from './metrics.js';
import { within } from './within.js';

/** Each refresh's share of a scrape; the checks run side by side. */
export const SCRAPE_BUDGET_MS = 600;

export interface MetricsScrapeDeps {
  metrics: HostMetrics;
  /** The fail-fast connection. */
  redis: Redis;
  queues: DeliveryQueues;
  client: AccessSource;
  /** The watcher's cursor. */
  lastSeq(): number;
  /** Whether the watcher makes no progress. */
  watchStalled(): boolean;
}

/** Runs `refresh` unless the previous run is still going; either way waits for it at most the budget. */
function singleFlight(refresh: () => Promise<boolean>): () => Promise<boolean> {
  let running: Promise<boolean> | undefined;
  return async () => {
    running ??= refresh()
      .catch(() => false)
      .finally(() => {
        running = undefined;
      });
    return (await within(running, SCRAPE_BUDGET_MS)) ?? false;
  };
}

export function metricsScrape(d: MetricsScrapeDeps): () => Promise<{ contentType: string; body: string }> {
  const { metrics } = d;
  const queueDepths = singleFlight(async () => {
    const depths = await Promise.all(
      [...d.queues.queues].map(async ([plugin, queue]) => ({
        plugin,
        counts: await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'),
      })),
    );
    metrics.queueDepth.reset();
    metrics.deadLetters.reset();
    for (const { plugin, counts } of depths) {
      for (const [state, n] of Object.entries(counts)) metrics.queueDepth.set({ plugin, state }, n);
      metrics.deadLetters.set({ plugin }, counts.failed ?? 0);
    }
    return true;
  });
  const watcherLag = singleFlight(async () => {
    const latest = await d.client.latestSeq();
    metrics.watcherLag.set(Math.max(0, latest - d.lastSeq()));
    return true;
  });
  return async () => {
    // Queue depths go through BullMQ's connections, which wait for Redis: not even started
    // while the fail-fast connection knows Redis is away.
    const [redisState, depthsRead] = await Promise.all([
      within(redisCheck(d.redis), SCRAPE_BUDGET_MS),
      d.redis.status === 'ready' ? queueDepths() : Promise.resolve(false),
      // The API's answer only moves the lag gauge; without one the last value stays.
      watcherLag(),
    ]);
    metrics.watchStalled.set(d.watchStalled() ? 1 : 0);
    const redisUp = redisState === 'ok';
    metrics.redisUp.set(redisUp ? 1 : 0);
    if (!redisUp || !depthsRead) {
      metrics.queueDepth.reset();
      metrics.deadLetters.reset();
    }
    return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
  };
}
