// Queues the first `remind` job of every request whose reminder is due, from the per-plugin
// index the post commits fill (reminders.ts). Jobs first, then the index entries go: a crash in
// between queues the same jobs again next time, and their deterministic ids make that a no-op.
// Every replica sweeps; they queue the same ids.

import type { Redis } from 'ioredis';
import type { Logger as PinoLogger } from '../../log.js';
import { type PeriodicTask, startPeriodicTask } from '../../periodic-task.js';
import type { DeliveryQueues } from '../delivery/delivery-queues.js';
import type { HostKeys } from '../redis/keys.js';

/** Due requests taken per Redis round trip. */
const PAGE = 500;

export function startReminderSweeper(opts: {
  redis: Redis;
  keys: HostKeys;
  queues: DeliveryQueues;
  /** Plugins that can remind. */
  pluginIds: string[];
  /** False when `host.reminders.max` is 0: what an earlier configuration scheduled is dropped. */
  enabled: boolean;
  /** How late a reminder may be queued (a fraction of `after`, a few seconds at most). */
  intervalMs: number;
  log: PinoLogger;
}): PeriodicTask {
  const { redis, keys, queues } = opts;

  async function sweep(plugin: string): Promise<number> {
    const index = keys.reminderDue(plugin);
    if (!opts.enabled) {
      await redis.zremrangebyscore(index, '-inf', Date.now());
      return 0;
    }
    let queued = 0;
    for (;;) {
      const due = await redis.zrangebyscore(index, '-inf', Date.now(), 'LIMIT', 0, PAGE);
      if (due.length === 0) return queued;
      await queues.add(due.map((requestId) => ({ op: 'remind' as const, plugin, requestId, reminder: 0 })));
      await redis.zrem(index, ...due);
      queued += due.length;
      if (due.length < PAGE) return queued;
    }
  }

  return startPeriodicTask({
    intervalMs: opts.intervalMs,
    task: async () => {
      let queued = 0;
      for (const plugin of opts.pluginIds) queued += await sweep(plugin);
      return queued;
    },
    log: opts.log,
    countField: 'reminders',
    done: 'reminders queued',
    failed: 'queueing due reminders failed; trying again next time',
  });
}

/** How often to sweep: a quarter of `after`, between 100 ms and 5 s. */
export function sweepIntervalMs(afterMs: number): number {
  return Math.min(5_000, Math.max(100, Math.floor(afterMs / 4)));
}
