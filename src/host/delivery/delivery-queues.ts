// One BullMQ queue per plugin. Jobs carry ids only (see job-ids.ts); their ids are
// deterministic, so adding the same job twice — from a replayed event, a reconnect or a
// second host replica — is a no-op while the first is still kept.

import { type JobsOptions, Queue, type RedisOptions } from 'bullmq';
import type { HostKeys } from '../redis/keys.js';
import { type DeliveryJobData, jobIdFor } from './job-ids.js';
import { BACKOFF_TYPE, type RetryPolicy } from './retry-classifier.js';

/** Finished jobs are kept a day so their ids keep deduplicating late replays. */
const KEEP_COMPLETED = { age: 24 * 3600, count: 100_000 };

export class DeliveryQueues {
  readonly queues = new Map<string, Queue<DeliveryJobData>>();

  constructor(
    pluginIds: Iterable<string>,
    connection: RedisOptions,
    keys: HostKeys,
    private readonly policy: RetryPolicy,
  ) {
    for (const id of pluginIds) {
      this.queues.set(
        id,
        new Queue<DeliveryJobData>(keys.queueName(id), { connection, prefix: keys.bullPrefix }),
      );
    }
  }

  jobOptions(data: DeliveryJobData): JobsOptions {
    return {
      jobId: jobIdFor(data),
      ...(data.notBefore ? { delay: Math.max(0, data.notBefore - Date.now()) } : {}),
      attempts: this.policy.attempts,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: KEEP_COMPLETED,
      // Failed jobs stay: they are the dead-letter list an operator lists and replays.
      removeOnFail: false,
    };
  }

  async add(jobs: DeliveryJobData[]): Promise<void> {
    const byPlugin = new Map<string, DeliveryJobData[]>();
    for (const job of jobs) {
      if (!this.queues.has(job.plugin)) continue;
      const list = byPlugin.get(job.plugin) ?? [];
      list.push(job);
      byPlugin.set(job.plugin, list);
    }
    await Promise.all(
      [...byPlugin].map(([plugin, list]) =>
        this.queues
          .get(plugin)!
          .addBulk(list.map((data) => ({ name: data.op, data, opts: this.jobOptions(data) }))),
      ),
    );
  }

  /** Jobs waiting to run in the fullest plugin queue. */
  async backlog(): Promise<number> {
    const counts = await Promise.all([...this.queues.values()].map((q) => q.getWaitingCount()));
    return Math.max(0, ...counts);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
