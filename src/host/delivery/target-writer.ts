// Writes one target's message under its lock: the locked post (and the catch-up to newer
// versions a post may need) and the update. One writer per (plugin, request, target) at a
// time; the Redis steps around a post are two scripts (post-steps.ts).

import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ActivePlugin } from '../activation/active-plugins.js';
import type { HostMetrics } from '../ops/metrics.js';
import type { HostKeys } from '../redis/keys.js';
import { type ReminderSettings, reminderDue } from '../reminders/reminders.js';
import type { Progress } from '../stream/progress.js';
import type { RequestReader } from '../stream/request-reader.js';
import type { DeliveryJobData } from './job-ids.js';
import { decodeRefRecord, type MessageRefs, type RefRecord } from './message-refs.js';
import type { PostSteps } from './post-steps.js';
import { TargetBusy } from './retry-classifier.js';
import type { Lease, LockPipeline, TargetLock } from './target-lock.js';

export type Outcome = 'ok' | 'skipped';

/** How long a job waits (jittered) before trying a target whose lock another writer holds. */
const LOCK_BUSY_WAIT_MS = 100;

/** Runs one call to the platform (through the plugin's gate: concurrency, Retry-After). */
export type PlatformCall = <T>(call: () => Promise<T>) => Promise<T>;

type ReadPipeline = LockPipeline & {
  hget(key: string, field: string): ReadPipeline;
  get(key: string): ReadPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
};

/** One attempt at one target's message: who owns the lock, which try it is, when it was queued. */
export interface Attempt {
  requestId: string;
  targetKey: string;
  owner: string;
  attempt: number;
  queuedAt: number;
  /** A post job runs only after an earlier try (inline, or its own) that may have reached the platform. */
  mayHaveBeenSent?: boolean;
}

/** What a locked attempt needs first, read in the same round trip as taking the lock. */
export interface Preloaded {
  record: RefRecord | null;
  latest: number;
}

export interface TargetWriterDeps {
  plugin: ActivePlugin;
  redis: Redis;
  keys: HostKeys;
  refs: MessageRefs;
  steps: PostSteps;
  progress: Progress;
  lock: TargetLock;
  reader: RequestReader;
  metrics: HostMetrics;
  reminders: ReminderSettings;
}

export function createTargetWriter(deps: TargetWriterDeps, platformCall: PlatformCall) {
  const { plugin } = deps;

  const lockKeyOf = (attempt: Attempt) => deps.lock.keyOf(plugin.id, attempt.requestId, attempt.targetKey);

  const attemptOf = (job: Job<DeliveryJobData>): Attempt => ({
    requestId: job.data.requestId,
    targetKey: job.data.target!,
    owner: job.id!,
    attempt: job.attemptsMade + 1,
    queuedAt: job.timestamp,
  });

  /** Runs `fn` holding the target's lock; throws TargetBusy when another writer holds it. */
  async function underTargetLock<T>(
    attempt: Attempt,
    fn: (preloaded: Preloaded, lease: Lease) => Promise<T>,
  ): Promise<T> {
    const lockKey = lockKeyOf(attempt);
    // One pipeline: the reads run after the lock script on the same connection, so they see
    // the state as of taking the lock.
    const pipeline = deps.redis.pipeline() as unknown as ReadPipeline;
    deps.lock.take(pipeline, lockKey, attempt.owner);
    pipeline.hget(deps.keys.refs(plugin.id, attempt.requestId), attempt.targetKey);
    pipeline.get(deps.keys.latestVersion(attempt.requestId));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
    if (results[0]?.[1] !== 1) throw new TargetBusy(LOCK_BUSY_WAIT_MS);
    const raw = results[1]?.[1] as string | null;
    const preloaded: Preloaded = {
      record: raw ? decodeRefRecord(raw) : null,
      latest: Number(results[2]?.[1] ?? 0),
    };
    return deps.lock.hold(lockKey, attempt.owner, (lease) => fn(preloaded, lease));
  }

  /** Runs `fn` with the target lock already taken by the claim script (renewed, then let go of). */
  function holdingClaimedLock<T>(
    attempt: Attempt,
    preloaded: Preloaded,
    fn: (preloaded: Preloaded, lease: Lease) => Promise<T>,
  ): Promise<T> {
    return deps.lock.hold(lockKeyOf(attempt), attempt.owner, (lease) => fn(preloaded, lease));
  }

  /** Renders the newest version seen when the platform shows an older one. Call under the target lock. */
  async function catchUp(
    attempt: Attempt,
    record: RefRecord,
    minVersion: number,
    knownLatest?: number,
  ): Promise<Outcome> {
    const latest = Math.max(
      minVersion,
      knownLatest ?? (await deps.progress.latestVersion(attempt.requestId)),
    );
    if (record.state !== 'posted' || !record.ref || record.renderedVersion >= latest) return 'skipped';
    const request = await deps.reader.current(attempt.requestId, latest);
    if (!request || request.version <= record.renderedVersion) return 'skipped';
    const card = await deps.reader.card(request, record.target.audience);
    const ref = record.ref;
    const newRef = await platformCall(() =>
      plugin.instance.update(record.target, ref, card, {
        deliveryId: `${record.deliveryId}.v${request.version}`,
        attempt: attempt.attempt,
        mayHaveBeenSent: attempt.attempt > 1,
      }),
    );
    await deps.refs.rendered(plugin.id, request.id, attempt.targetKey, request.version, newRef ?? undefined);
    deps.metrics.deliveryLatency.observe(
      { plugin: plugin.id, op: 'update' },
      (Date.now() - attempt.queuedAt) / 1000,
    );
    return 'ok';
  }

  /** Posts a claimed target's message (or catches up if it is already posted). Call under the lock. */
  async function postTarget(attempt: Attempt, preloaded: Preloaded, lease: Lease): Promise<Outcome> {
    const { record } = preloaded;
    if (!record) return 'skipped';
    if (record.state === 'posted') return catchUp(attempt, record, 0, preloaded.latest);
    const request = await deps.reader.current(attempt.requestId, preloaded.latest);
    if (!request) return 'skipped';
    const card = await deps.reader.card(request, record.target.audience);
    const ref = await platformCall(() =>
      plugin.instance.deliver(record.target, card, {
        deliveryId: record.deliveryId,
        attempt: attempt.attempt,
        mayHaveBeenSent: attempt.mayHaveBeenSent ?? false,
      }),
    );
    // Commits and, when no newer version arrived meanwhile, lets go of the lock in the same step;
    // a reviewer message of a plugin that can remind also schedules the request's first reminder.
    const firstReminder =
      plugin.instance.remind && record.target.audience === 'reviewer'
        ? reminderDue(request, deps.reminders)
        : undefined;
    const after = await deps.steps.commitAndUnlock(
      plugin.id,
      attempt.requestId,
      attempt.targetKey,
      lockKeyOf(attempt),
      attempt.owner,
      ref,
      request.version,
      firstReminder,
    );
    lease.settledByCommit(after.released);
    deps.metrics.deliveryLatency.observe(
      { plugin: plugin.id, op: 'post' },
      (Date.now() - attempt.queuedAt) / 1000,
    );
    // A newer version arrived while we were posting; its update job skipped us.
    if (!after.released)
      await catchUp(
        attempt,
        { ...record, state: 'posted', ref, renderedVersion: request.version },
        0,
        after.latest,
      );
    return 'ok';
  }

  return { lockKeyOf, attemptOf, underTargetLock, holdingClaimedLock, catchUp, postTarget };
}

export type TargetWriter = ReturnType<typeof createTargetWriter>;
