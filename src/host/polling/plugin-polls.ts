// Runs each plugin's periodic poll (PluginInstance.poll): one run per interval across every host
// sharing the Redis, decided by a lease (SET NX PX interval) so N replicas do not ask the
// platform N times. A replica that dies mid-run leaves the lease to expire; the next interval
// runs elsewhere. Decisions the poll finds go through the plugin's ctx.decide, as inbound calls do.

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger as PinoLogger } from '../../log.js';
import { type PeriodicTask, startPeriodicTask } from '../../periodic-task.js';
import { MIN_POLL_INTERVAL_MS } from '../../plugin-sdk/index.js';
import type { ActivePlugin } from '../activation/active-plugins.js';
import type { HostKeys } from '../redis/keys.js';

export interface PluginPolls {
  /** Plugins that poll, with their intervals. */
  readonly polling: { plugin: string; intervalMs: number }[];
  stop(): Promise<void>;
}

export function startPluginPolls(opts: {
  /** The fail-fast connection: a run while Redis is away fails at once and is tried next interval. */
  redis: Redis;
  keys: HostKeys;
  plugins: Iterable<ActivePlugin>;
  log: PinoLogger;
}): PluginPolls {
  const holder = randomUUID();
  const tasks: PeriodicTask[] = [];
  const polling: PluginPolls['polling'] = [];
  for (const plugin of opts.plugins) {
    const poll = plugin.instance.poll?.();
    if (!poll) continue;
    const intervalMs = Math.max(MIN_POLL_INTERVAL_MS, Math.floor(poll.intervalMs));
    const lease = opts.keys.pollLease(plugin.id);
    const log = opts.log.child({ plugin: plugin.id });
    polling.push({ plugin: plugin.id, intervalMs });
    tasks.push(
      startPeriodicTask({
        intervalMs,
        atStart: true,
        task: async () => {
          // The lease lasts one interval: whoever takes it runs this interval's pass.
          const won = await opts.redis.set(lease, holder, 'PX', intervalMs, 'NX');
          if (won !== 'OK') return 0;
          await poll.run();
          return 0;
        },
        log,
        countField: 'polls',
        done: 'poll done',
        failed: 'plugin poll failed; trying again next interval',
      }),
    );
  }
  return {
    polling,
    async stop() {
      await Promise.all(tasks.map((task) => task.stop()));
    },
  };
}
