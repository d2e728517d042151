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

export function startExpirySweeper(requests: RequestService, intervalMs: number, log: Logger): ExpirySweeper {
  const task = startPeriodicTask({
    intervalMs,
    task: () => requests.expireDue(),
    log,
    countField: 'expired',
    done: 'expired pending requests',
    failed: 'expiry sweep failed',
  });
  return { sweep: task.run, stop: task.stop };
}
