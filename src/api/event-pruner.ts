// Keeps the watch log bounded: every hour, events older than `api.event_retention` go.
// A watcher whose cursor falls in the pruned part is told CURSOR_EXPIRED (see routes/events.ts).

import type { Logger } from 'pino';
import type { Store } from '../store/types.js';

const PRUNE_INTERVAL_MS = 3600_000;

export interface EventPruner {
  /** Prunes now (also at start and every hour); resolves with how many events went. */
  prune(): Promise<number>;
  stop(): Promise<void>;
}

export function startEventPruner(
  store: Store,
  retentionMs: number,
  log: Logger,
  now = () => new Date(),
): EventPruner {
  let running: Promise<number> | undefined;
  const prune = () => {
    running ??= store
      .pruneEventsBefore(new Date(now().getTime() - retentionMs))
      .then((n) => {
        if (n > 0) log.info({ pruned: n }, 'pruned watch events past retention');
        return n;
      })
      .catch((err: unknown) => {
        log.error({ err }, 'pruning watch events failed');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  void prune();
  const timer = setInterval(prune, PRUNE_INTERVAL_MS);
  timer.unref();
  return {
    prune,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
