// A task run on a timer (the API expiring requests and pruning the watch log, the host queueing
// due reminders): one run at a time (a tick that finds one running joins it), failures logged
// and survived, and `stop` waits for the run in progress.

import type { Logger } from 'pino';

export interface PeriodicTask {
  /** Runs now (or joins the run in progress); resolves with what the task counted (0 on failure). */
  run(): Promise<number>;
  stop(): Promise<void>;
}

export function startPeriodicTask(opts: {
  intervalMs: number;
  /** Also run once right away. */
  atStart?: boolean;
  task: () => Promise<number>;
  log: Logger;
  /** Logged when a run counted something: `{ [countField]: n }, done`. */
  countField: string;
  done: string;
  failed: string;
}): PeriodicTask {
  let running: Promise<number> | undefined;
  const run = () => {
    running ??= opts
      .task()
      .then((n) => {
        if (n > 0) opts.log.info({ [opts.countField]: n }, opts.done);
        return n;
      })
      .catch((err: unknown) => {
        opts.log.error({ err }, opts.failed);
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  if (opts.atStart) void run();
  const timer = setInterval(run, opts.intervalMs);
  timer.unref();
  return {
    run,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
