// Periodically expires due PENDING requests, so watchers hear about expiry even when
// nobody reads the request.

import type { Logger } from 'pino';
import { startPeriodicTask } from '../periodic-task.js';
import type { RequestService } from './request-service.js';

export interface ExpirySweeper {
  /** Runs one sweep now (also used by tests); resolves with how many expired. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * `mayRun` is asked before each tick: with several API replicas only the one holding the
 * cluster-wide singleton sweeps (the others' ticks count 0), and another takes over when it dies.
 */
export function startExpirySweeper(
  requests: RequestService,
  intervalMs: number,
  log: Logger,
  mayRun: () => Promise<boolean> = async () => true,
): ExpirySweeper {
  const task = startPeriodicTask({
    intervalMs,
    task: async () => ((await mayRun()) ? requests.expireDue() : 0),
    log,
    countField: 'expired',
    done: 'expired pending requests',
    failed: 'expiry sweep failed',
  });
  return { sweep: task.run, stop: task.stop };
}
