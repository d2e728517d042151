// What `accessbot deliveries ls|retry` does: read the plugin queues straight from Redis (no
// running host needed). Failed jobs are the dead-letter list; a retry puts one back with a
// fresh set of attempts, under the same job id, so it still cannot post twice.

import { Queue, type RedisOptions } from 'bullmq';
import type { Config } from '../../config/schema.js';
import { AccessbotError } from '../../errors.js';
import { createLogger } from '../../log.js';
import type { DeliveryJobData } from '../delivery/job-ids.js';
import { hostKeys } from '../redis/keys.js';
import { resolveRedis } from '../redis/redis-connection.js';

export interface DeliveryRow {
  id: string;
  plugin: string;
  op: string;
  requestId: string;
  /** route-batch jobs: how many requests the job routes (requestId is the first). */
  requests?: number;
  state: string;
  attempts: number;
  /** Why it failed (last error), for failed and retrying jobs. */
  error?: string;
  /** Enqueued at (ISO). */
  created: string;
  finished?: string;
}

interface Opts {
  /** Redis to read; default: the one the host would use for this config. */
  redis?: RedisOptions;
}

function enabledPluginIds(config: Config): string[] {
  return Object.entries(config.plugins)
    .filter(([, block]) => (block as { enabled?: unknown }).enabled !== false)
    .map(([id]) => id)
    .sort();
}

async function withQueues<T>(
  config: Config,
  opts: Opts,
  fn: (queues: Map<string, Queue<DeliveryJobData>>) => Promise<T>,
): Promise<T> {
  const keys = hostKeys(config.host.redis.prefix, config.host.redis.request_retention);
  const resolved = opts.redis
    ? { options: opts.redis, stop: async () => {} }
    : await resolveRedis(config, createLogger({ level: 'silent' }));
  const connection = { ...resolved.options, maxRetriesPerRequest: null };
  const queues = new Map(
    enabledPluginIds(config).map((id) => [
      id,
      new Queue<DeliveryJobData>(keys.queueName(id), { connection, prefix: keys.bullPrefix }),
    ]),
  );
  try {
    return await fn(queues);
  } finally {
    await Promise.all([...queues.values()].map((q) => q.close()));
    await resolved.stop();
  }
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

export async function listDeliveries(
  config: Config,
  opts: Opts & { failed?: boolean; limit?: number } = {},
): Promise<DeliveryRow[]> {
  const limit = opts.limit ?? 200;
  return withQueues(config, opts, async (queues) => {
    const rows: DeliveryRow[] = [];
    for (const [plugin, queue] of queues) {
      const states = opts.failed
        ? (['failed'] as const)
        : (['active', 'waiting', 'delayed', 'failed', 'completed'] as const);
      for (const state of states) {
        const jobs = await queue.getJobs([state], 0, limit - 1, false);
        for (const job of jobs) {
          if (!job?.id) continue;
          const finished = iso(job.finishedOn);
          rows.push({
            id: job.id,
            plugin,
            op: job.data.op,
            requestId: job.data.requestId,
            ...(job.data.batch ? { requests: job.data.batch.length } : {}),
            state,
            attempts: job.attemptsMade,
            ...(job.failedReason ? { error: job.failedReason } : {}),
            created: iso(job.timestamp) ?? '',
            ...(finished ? { finished } : {}),
          });
        }
      }
    }
    return rows.slice(0, limit);
  });
}

/** Puts failed deliveries back in their queue; returns how many. */
export async function retryDeliveries(
  config: Config,
  opts: Opts & { id?: string; all?: boolean },
): Promise<number> {
  if (!opts.id && !opts.all) throw new AccessbotError('BAD_REQUEST', 'give a delivery id or --all');
  return withQueues(config, opts, async (queues) => {
    let count = 0;
    for (const queue of queues.values()) {
      const jobs = opts.id ? [await queue.getJob(opts.id)] : await queue.getFailed(0, -1);
      for (const job of jobs) {
        if (!job) continue;
        if (!(await job.isFailed())) {
          if (opts.id)
            throw new AccessbotError('CONFLICT', `delivery ${opts.id} has not failed; nothing to retry`);
          continue;
        }
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        count++;
      }
    }
    if (opts.id && count === 0) throw new AccessbotError('NOT_FOUND', `no delivery with id ${opts.id}`);
    return count;
  });
}
