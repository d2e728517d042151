// Periodically expires due PENDING requests, so watchers hear about expiry even when
// nobody reads the request.

import type { Logger } from 'pino';
import type { RequestService } from './request-service.js';

export interface ExpirySweeper {
  /** Runs one sweep now (also used by tests); resolves with how many expired. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

export function startExpirySweeper(requests: RequestService, intervalMs: number, log: Logger): ExpirySweeper {
  let running: Promise<number> | undefined;
  const sweep = () => {
    running ??= requests
      .expireDue()
      .then((n) => {
        if (n > 0) log.info({ expired: n }, 'expired pending requests');
        return n;
      })
      .catch((err: unknown) => {
        log.error({ err }, 'expiry sweep failed');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
