// Expires due PENDING requests, so watchers hear about expiry even when nobody reads the
// request (reads never expire anything). It runs as a stream rather than a fixed tick: after
// each sweep it sleeps until the next PENDING request falls due (at most `intervalMs`; a PENDING
// request committed here that falls due sooner wakes it earlier; one committed by another API
// replica is seen within `intervalMs`), and a
// sweep drains the whole backlog in small batches with a yield between them (see
// RequestService.expireDue), so a burst of expiries clears at thousands per second without
// holding the database for more than a batch at a time.

import type { Logger } from 'pino';
import type { Store } from '../store/types.js';
import type { RequestService } from './request-service.js';

/** Never sleeps less than this between sweeps: a request that cannot be expired must not spin. */
const MIN_SLEEP_MS = 50;

export interface ExpirySweeper {
  /** Runs one sweep now, or joins the one running (also used by tests); resolves with how many expired. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

export function startExpirySweeper(
  requests: RequestService,
  store: Store,
  intervalMs: number,
  log: Logger,
  opts: {
    now?: () => Date;
    /**
     * Asked before each sweep: with several API replicas only the one holding the cluster-wide
     * singleton sweeps (the others' sweeps count 0), and another takes over when it dies.
     */
    mayRun?: () => Promise<boolean>;
  } = {},
): ExpirySweeper {
  const now = opts.now ?? (() => new Date());
  const mayRun = opts.mayRun ?? (async () => true);
  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** When the timer fires (by our clock); undefined while a sweep runs (it reschedules when done). */
  let wakeAt: number | undefined;
  let stopped = false;

  const setTimer = (delay: number) => {
    clearTimeout(timer);
    wakeAt = now().getTime() + delay;
    timer = setTimeout(() => {
      wakeAt = undefined;
      void sweep();
    }, delay);
    timer.unref();
  };

  const sleepMs = async (): Promise<number> => {
    const at = now();
    const next = await requests.nextExpiryBefore(new Date(at.getTime() + intervalMs));
    const untilNext = next === null ? intervalMs : next.getTime() - at.getTime();
    return Math.min(intervalMs, Math.max(MIN_SLEEP_MS, untilNext));
  };

  const schedule = async (): Promise<void> => {
    let delay = intervalMs;
    try {
      delay = await sleepMs();
    } catch (err) {
      log.error({ err }, 'expiry sweep could not read the next expiry');
    }
    if (stopped || running) return;
    setTimer(delay);
  };

  const sweep = (): Promise<number> => {
    running ??= mayRun()
      .then((mine) => (mine ? requests.expireDue() : 0))
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
        void schedule();
      });
    wakeAt = undefined;
    clearTimeout(timer);
    return running;
  };

  // A new (or changed) PENDING request that falls due before the timer: wake for it instead.
  const unsubscribe = store.onCommit((event) => {
    if (stopped || wakeAt === undefined || event.request.state !== 'PENDING') return;
    const due = Date.parse(event.request.requestExpires);
    if (due < wakeAt) setTimer(Math.max(MIN_SLEEP_MS, due - now().getTime()));
  });

  void schedule();
  return {
    sweep,
    async stop() {
      stopped = true;
      unsubscribe();
      clearTimeout(timer);
      await running;
    },
  };
}
