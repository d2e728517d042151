// Keeps the watch log bounded: at start and every hour, events older than `api.event_retention`
// go. A watcher whose cursor falls in the pruned part is told CURSOR_EXPIRED (see routes/events.ts).

import type { Logger } from 'pino';
import { startPeriodicTask } from '../periodic-task.js';
import type { Store } from '../store/types.js';

const PRUNE_INTERVAL_MS = 3600_000;

export interface EventPruner {
  /** Prunes now; resolves with how many events went. */
  prune(): Promise<number>;
  stop(): Promise<void>;
}

export function startEventPruner(
  store: Store,
  retentionMs: number,
  log: Logger,
  now = () => new Date(),
): EventPruner {
  const task = startPeriodicTask({
    intervalMs: PRUNE_INTERVAL_MS,
    atStart: true,
    // With several API replicas on one database, only the one holding the singleton prunes.
    task: async () =>
      (await store.holdsSingleton('event-pruner'))
        ? store.pruneEventsBefore(new Date(now().getTime() - retentionMs))
        : 0,
    log,
    countField: 'pruned',
    done: 'pruned watch events past retention',
    failed: 'pruning watch events failed',
  });
  return { prune: task.run, stop: task.stop };
}
