// Prometheus metrics on a per-host registry (two hosts in one process — tests, benches —
// must not share counters). Gauges that need Redis or the API are refreshed by the /metrics
// handler just before it renders.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface HostMetrics {
  registry: Registry;
  deliveries: Counter<'plugin' | 'op' | 'outcome'>;
  deliveryLatency: Histogram<'plugin' | 'op'>;
  queueDepth: Gauge<'plugin' | 'state'>;
  watcherLag: Gauge;
  deadLetters: Gauge<'plugin'>;
  decisions: Counter<'plugin' | 'outcome'>;
  inboundRefused: Counter<'plugin' | 'reason'>;
  inboundThrottled: Counter<'plugin'>;
  redisUp: Gauge;
  watchStalled: Gauge;
}

export function createHostMetrics(): HostMetrics {
  const registry = new Registry();
  const m: HostMetrics = {
    registry,
    deliveries: new Counter({
      name: 'accessbot_deliveries_total',
      help: 'Delivery jobs finished, by plugin, operation and outcome (ok, skipped, retry, dead_letter).',
      labelNames: ['plugin', 'op', 'outcome'],
      registers: [registry],
    }),
    deliveryLatency: new Histogram({
      name: 'accessbot_delivery_latency_seconds',
      help: 'From enqueue to the platform accepting the message.',
      labelNames: ['plugin', 'op'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'accessbot_queue_depth',
      help: 'Jobs per plugin queue and state.',
      labelNames: ['plugin', 'state'],
      registers: [registry],
    }),
    watcherLag: new Gauge({
      name: 'accessbot_watcher_lag_events',
      help: 'Events in the API log not yet handled by this host (latest seq minus cursor).',
      registers: [registry],
    }),
    deadLetters: new Gauge({
      name: 'accessbot_dead_letters',
      help: 'Failed deliveries waiting for an operator (accessbot deliveries ls --failed).',
      labelNames: ['plugin'],
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'accessbot_decisions_total',
      help: 'Inbound decisions by plugin and outcome.',
      labelNames: ['plugin', 'outcome'],
      registers: [registry],
    }),
    inboundRefused: new Counter({
      name: 'accessbot_inbound_refused_total',
      help: 'Inbound calls that failed authentication (bad, missing or stale signature), by plugin and error code.',
      labelNames: ['plugin', 'reason'],
      registers: [registry],
    }),
    inboundThrottled: new Counter({
      name: 'accessbot_inbound_throttled_total',
      help: 'Inbound calls answered 429 because their source failed authentication too often in the window.',
      labelNames: ['plugin'],
      registers: [registry],
    }),
    watchStalled: new Gauge({
      name: 'accessbot_watch_stalled',
      help: 'Whether the watch stream keeps reconnecting without an event while the API is ahead of the cursor (1), as /readyz reports.',
      registers: [registry],
    }),
    redisUp: new Gauge({
      name: 'accessbot_redis_up',
      help: 'Whether Redis answered this scrape (1) or not (0); while 0, the gauges read from Redis are left out.',
      registers: [registry],
    }),
  };
  return m;
}
