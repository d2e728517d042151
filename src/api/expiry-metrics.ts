// How far behind expiry is, on the API's /metrics: read from the store at each scrape (two
// range reads of the due index, the count capped), so it is right on every replica.

import { Gauge, type Registry } from 'prom-client';
import type { Store } from '../store/types.js';

/** The backlog count stops here: a scrape never walks more than this many index entries. */
export const EXPIRY_BACKLOG_COUNT_LIMIT = 100_000;

export function registerExpiryMetrics(registry: Registry, store: Store, now: () => Date): void {
  let last: Promise<{ count: number; lagSeconds: number }> | undefined;
  // Both gauges read one backlog per scrape.
  const read = () => {
    last ??= (async () => {
      const at = now();
      const backlog = await store.dueBacklog(at, EXPIRY_BACKLOG_COUNT_LIMIT);
      const lagMs = backlog.oldestDue === null ? 0 : at.getTime() - Date.parse(backlog.oldestDue);
      return { count: backlog.count, lagSeconds: Math.max(0, lagMs) / 1000 };
    })().finally(() => {
      setImmediate(() => {
        last = undefined;
      });
    });
    return last;
  };
  new Gauge({
    name: 'accessbot_api_expiry_backlog_requests',
    help: `PENDING requests past their expiry that the sweeper has not expired yet (counted up to ${EXPIRY_BACKLOG_COUNT_LIMIT})`,
    registers: [registry],
    async collect() {
      this.set((await read()).count);
    },
  });
  new Gauge({
    name: 'accessbot_api_expiry_lag_seconds',
    help: 'How long the oldest due PENDING request has waited to be expired (0 when none is due)',
    registers: [registry],
    async collect() {
      this.set((await read()).lagSeconds);
    },
  });
}
