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
      help: 'Inbound calls refused before acting (bad signature, stale, malformed).',
      labelNames: ['plugin', 'reason'],
      registers: [registry],
    }),
  };
  return m;
}
