// Runs a plugin's delivery jobs. Every job re-reads the request and renders from it, so jobs
// are idempotent and their order does not matter; the message ref record (message-refs.ts)
// and the per-target lock (target-lock.ts) make each (request, target) one message.
//
//   route        → resolve targets; claim a `posting` record per new target; queue post/update/reply/auto-review
//   post         → send the card with the record's delivery id; commit the ref; catch up to newer versions
//   update       → re-render when the platform shows an older version than the latest seen
//   reply        → post one review into the message's thread (plugins with threaded replies)
//   auto-review  → ask the plugin for a review (e.g. on-call) and submit it as the plugin's user

import { DelayedError, type Job, type RedisOptions, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AccessClient } from '../api/client-types.js';
import type { RouteRule } from '../config/schema.js';
import { AccessbotError } from '../errors.js';
import type { Logger as PinoLogger } from '../log.js';
import { PluginError, permanent, type Target } from '../plugin-sdk/index.js';
import type { ActivePlugin } from './active-plugins.js';
import type { DeliveryQueues } from './delivery-queues.js';
import { type DeliveryJobData, jobIdFor } from './job-ids.js';
import { type HostKeys, targetKey } from './keys.js';
import { decodeRefRecord, type MessageRefs, type RefRecord } from './message-refs.js';
import type { HostMetrics } from './metrics.js';
import type { PostSteps } from './post-steps.js';
import type { Progress } from './progress.js';
import { resolveRecipients } from './recipient-resolver.js';
import type { RequestReader } from './request-reader.js';
import { BACKOFF_TYPE, backoffDelayMs, isPermanent, type RetryPolicy, toDeadLetter } from './retry-policy.js';
import { routeRequest } from './router.js';
import type { TargetLock } from './target-lock.js';

export interface WorkerDeps {
  plugin: ActivePlugin;
  client: AccessClient;
  redis: Redis;
  connection: RedisOptions;
  keys: HostKeys;
  queues: DeliveryQueues;
  refs: MessageRefs;
  steps: PostSteps;
  progress: Progress;
  lock: TargetLock;
  reader: RequestReader;
  rules: RouteRule[];
  policy: RetryPolicy;
  metrics: HostMetrics;
  log: PinoLogger;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

type Outcome = 'ok' | 'skipped';

type LockPipeline = {
  targetLockAcquire(key: string, owner: string, ttlMs: number): LockPipeline;
  hget(key: string, field: string): LockPipeline;
  get(key: string): LockPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
};

/** A job that must wait for another (the post of its message) goes back to delayed, spending no attempt. */
async function waitAndRetry(job: Job, token: string | undefined, ms: number): Promise<never> {
  await job.moveToDelayed(Date.now() + ms + Math.floor(Math.random() * ms), token);
  throw new DelayedError();
}

export function startDeliveryWorker(d: WorkerDeps): Worker<DeliveryJobData> {
  const { plugin } = d;
  const log = d.log.child({ plugin: plugin.id });
  const queue = d.queues.queues.get(plugin.id)!;

  /** One attempt at one target's message: who owns the lock, which try it is, when it was queued. */
  interface Attempt {
    requestId: string;
    tkey: string;
    owner: string;
    attempt: number;
    queuedAt: number;
    /** Set once the lock was let go early (by the commit after a post). */
    released?: boolean;
  }

  const lockKeyOf = (a: Attempt) => `${d.keys.refs(plugin.id, a.requestId)}:lock:${a.tkey}`;

  const attemptOf = (job: Job<DeliveryJobData>): Attempt => ({
    requestId: job.data.requestId,
    tkey: job.data.target!,
    owner: job.id!,
    attempt: job.attemptsMade + 1,
    queuedAt: job.timestamp,
  });

  /** What a locked attempt needs first, read in the same round trip as taking the lock. */
  interface Preloaded {
    rec: RefRecord | null;
    latest: number;
  }

  /** Runs `fn` holding the target's lock; undefined when someone else holds it. */
  async function underTargetLock<T>(
    a: Attempt,
    fn: (pre: Preloaded) => Promise<T>,
  ): Promise<{ value: T } | undefined> {
    const lockKey = lockKeyOf(a);
    // One pipeline: the reads run after the lock script on the same connection, so they see
    // the state as of taking the lock.
    const pipeline = d.redis.pipeline() as unknown as LockPipeline;
    pipeline.targetLockAcquire(lockKey, a.owner, d.lockDurationMs);
    pipeline.hget(d.keys.refs(plugin.id, a.requestId), a.tkey);
    pipeline.get(d.keys.latestVersion(a.requestId));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
    if (results[0]?.[1] !== 1) return undefined;
    const raw = results[1]?.[1] as string | null;
    const pre: Preloaded = { rec: raw ? decodeRefRecord(raw) : null, latest: Number(results[2]?.[1] ?? 0) };
    return { value: await holdingLock(a, pre, fn) };
  }

  /** Runs `fn` with the target lock already taken, and lets go of it after (unless already let go). */
  async function holdingLock<T>(a: Attempt, pre: Preloaded, fn: (pre: Preloaded) => Promise<T>): Promise<T> {
    try {
      return await fn(pre);
    } finally {
      if (!a.released) await d.lock.release(lockKeyOf(a), a.owner);
    }
  }

  /** Renders the newest version seen when the platform shows an older one. Call under the target lock. */
  async function catchUp(
    a: Attempt,
    rec: RefRecord,
    minVersion: number,
    knownLatest?: number,
  ): Promise<Outcome> {
    const latest = Math.max(minVersion, knownLatest ?? (await d.progress.latestVersion(a.requestId)));
    if (rec.state !== 'posted' || !rec.ref || rec.renderedVersion >= latest) return 'skipped';
    const request = await d.reader.current(a.requestId, latest);
    if (!request || request.version <= rec.renderedVersion) return 'skipped';
    const card = await d.reader.card(request, rec.target.audience);
    const newRef = await plugin.instance.update(rec.target, rec.ref, card, {
      deliveryId: `${rec.deliveryId}.v${request.version}`,
      attempt: a.attempt,
    });
    await d.refs.rendered(plugin.id, request.id, a.tkey, request.version, newRef ?? undefined);
    d.metrics.deliveryLatency.observe({ plugin: plugin.id, op: 'update' }, (Date.now() - a.queuedAt) / 1000);
    return 'ok';
  }

  /** Posts a claimed target's message (or catches up if it is already posted). Call under the lock. */
  async function postTarget(a: Attempt, pre: Preloaded): Promise<Outcome> {
    const { rec } = pre;
    if (!rec) return 'skipped';
    if (rec.state === 'posted') return catchUp(a, rec, 0, pre.latest);
    const request = await d.reader.current(a.requestId, pre.latest);
    if (!request) return 'skipped';
    const card = await d.reader.card(request, rec.target.audience);
    const ref = await plugin.instance.deliver(rec.target, card, {
      deliveryId: rec.deliveryId,
      attempt: a.attempt,
    });
    // Commits and, when no newer version arrived meanwhile, lets go of the lock in the same step.
    const after = await d.steps.commitAndUnlock(
      plugin.id,
      a.requestId,
      a.tkey,
      lockKeyOf(a),
      a.owner,
      ref,
      request.version,
    );
    if (after.released) a.released = true;
    d.metrics.deliveryLatency.observe({ plugin: plugin.id, op: 'post' }, (Date.now() - a.queuedAt) / 1000);
    // A newer version arrived while we were posting; its update job skipped us.
    if (!after.released)
      await catchUp(a, { ...rec, state: 'posted', ref, renderedVersion: request.version }, 0, after.latest);
    return 'ok';
  }

  /**
   * The route job tries each new target's post (or update) right away, saving a queue round
   * trip; a target that is busy or fails gets its own job, which owns retries and dead letters.
   */
  async function claimAndPost(
    job: Job<DeliveryJobData>,
    data: DeliveryJobData,
    target: Target,
  ): Promise<DeliveryJobData | undefined> {
    // Owned by the route job, not the post job: a post job queued meanwhile (by a newer
    // version's route) must wait for this attempt instead of posting beside it.
    const a: Attempt = {
      requestId: data.requestId,
      tkey: data.target!,
      owner: job.id!,
      attempt: 1,
      queuedAt: job.timestamp,
    };
    // Claim, lock and read the latest version in one round trip. A record that is not ours
    // (another route claimed it first) or whose lock is busy goes to its own post job.
    const claimed = await d.steps.claimAndLock(
      plugin.id,
      a.requestId,
      a.tkey,
      target,
      jobIdFor(data),
      lockKeyOf(a),
      a.owner,
    );
    if (claimed.outcome !== 'locked') return data;
    try {
      const outcome = await holdingLock(a, claimed, (pre) => postTarget(a, pre));
      d.metrics.deliveries.inc({ plugin: plugin.id, op: data.op, outcome });
      return undefined;
    } catch (err) {
      if (err instanceof PluginError && err.kind === 'rate_limited') {
        await queue.rateLimit(backoffDelayMs(d.policy, 1, err));
      }
      if (isPermanent(err))
        return { ...data, failedPermanently: err instanceof Error ? err.message : String(err) };
      log.warn(
        { jobId: jobIdFor(data), err: err instanceof Error ? err.message : String(err) },
        'delivery failed; queued for retry',
      );
      return data;
    }
  }

  async function route(job: Job<DeliveryJobData>): Promise<Outcome> {
    const { requestId, version = 0 } = job.data;
    const request = await d.reader.current(requestId, version);
    if (!request) return 'skipped';
    const card = await d.reader.card(request);
    const recipients = await routeRequest(
      request,
      card,
      {
        id: plugin.id,
        capabilities: plugin.definition.capabilities,
        defaultRecipients: plugin.instance.defaultRecipients?.bind(plugin.instance),
      },
      d.rules,
      (name) => d.reader.emailOf(name),
    );
    const [targets, records] = await Promise.all([
      resolveRecipients(d.redis, d.keys.resolveCache(plugin.id), plugin.instance, recipients, log),
      d.refs.all(plugin.id, requestId),
    ]);
    const jobs: DeliveryJobData[] = [];
    const now: Promise<DeliveryJobData | undefined>[] = [];
    for (const target of targets) {
      const tkey = targetKey(target.id, target.audience);
      const base = { plugin: plugin.id, requestId, target: tkey };
      const postJob: DeliveryJobData = { op: 'post', ...base };
      const updateJob: DeliveryJobData = { op: 'update', ...base, version: request.version };
      const rec = records.get(tkey);
      if (!rec) {
        // Never seen: claim it and, when the claim is ours, post it now.
        now.push(claimAndPost(job, postJob, target));
      } else if (rec.state !== 'posted') {
        jobs.push(postJob);
        if (request.version > 1) jobs.push(updateJob);
      } else {
        jobs.push(updateJob);
      }
      if (plugin.definition.capabilities.threadedReplies && plugin.instance.reply) {
        for (let i = 0; i < request.reviews.length; i++) jobs.push({ op: 'reply', ...base, review: i });
      }
    }
    if (
      plugin.definition.capabilities.autoReview &&
      plugin.instance.autoReview &&
      request.state === 'PENDING'
    ) {
      jobs.push({ op: 'auto-review', plugin: plugin.id, requestId });
    }
    for (const left of await Promise.all(now)) if (left) jobs.push(left);
    await d.queues.add(jobs);
    return 'ok';
  }

  async function post(job: Job<DeliveryJobData>, token: string | undefined): Promise<Outcome> {
    const { failedPermanently, ...rest } = job.data;
    if (failedPermanently !== undefined) {
      // Dropped from the data so that an operator's retry really tries again.
      await job.updateData(rest);
      throw permanent(failedPermanently);
    }
    const a = attemptOf(job);
    const done = await underTargetLock(a, (pre) => postTarget(a, pre));
    return done ? done.value : waitAndRetry(job, token, 100);
  }

  async function update(job: Job<DeliveryJobData>, token: string | undefined): Promise<Outcome> {
    const a = attemptOf(job);
    const done = await underTargetLock(a, async ({ rec, latest }) => {
      // Not posted yet: the post renders whatever is newest when it runs.
      if (rec?.state !== 'posted') return 'skipped' as const;
      return catchUp(a, rec, job.data.version ?? 0, latest);
    });
    return done ? done.value : waitAndRetry(job, token, 100);
  }

  async function reply(job: Job<DeliveryJobData>, token: string | undefined): Promise<Outcome> {
    const { requestId, review = 0 } = job.data;
    const tkey = job.data.target!;
    const rec = await d.refs.get(plugin.id, requestId, tkey);
    if (!rec) return 'skipped';
    if (rec.state !== 'posted' || !rec.ref) {
      if (Date.now() - job.timestamp > 15 * 60_000)
        throw new PluginError('transient', 'message was never posted');
      return waitAndRetry(job, token, 500);
    }
    const repliedKey = d.keys.replied(plugin.id, requestId, tkey);
    if (await d.redis.sismember(repliedKey, String(review))) return 'skipped';
    const request = await d.reader.current(requestId, await d.progress.latestVersion(requestId));
    const card = request ? await d.reader.card(request, rec.target.audience) : null;
    const item = card?.reviews[review];
    if (!card || !item) return 'skipped';
    await plugin.instance.reply!(rec.target, rec.ref, item, card, {
      deliveryId: `${rec.deliveryId}.r${review}`,
      attempt: job.attemptsMade + 1,
    });
    await d.redis
      .multi()
      .sadd(repliedKey, String(review))
      .expire(repliedKey, 30 * 24 * 3600)
      .exec();
    return 'ok';
  }

  async function autoReview(job: Job<DeliveryJobData>): Promise<Outcome> {
    const request = await d.reader.current(job.data.requestId);
    if (request?.state !== 'PENDING') return 'skipped';
    const decision = await plugin.instance.autoReview!(await d.reader.card(request));
    if (!decision) return 'skipped';
    try {
      await d.client.submitReview(request.id, {
        proposedState: decision.action === 'approve' ? 'APPROVED' : 'DENIED',
        reason: decision.reason,
        author: plugin.reviewAs,
      });
      log.info(
        { requestId: request.id, action: decision.action, as: plugin.reviewAs },
        'automatic review submitted',
      );
      return 'ok';
    } catch (err) {
      if (err instanceof AccessbotError) {
        if (['ALREADY_REVIEWED', 'REQUEST_RESOLVED', 'REQUEST_EXPIRED', 'SELF_REVIEW'].includes(err.code))
          return 'skipped';
        if (err.status >= 400 && err.status < 500)
          throw new PluginError('permanent', `automatic review refused: ${err.code}`, { cause: err });
      }
      throw err;
    }
  }

  const handlers = { route, post, update, reply, 'auto-review': autoReview } as const;

  const worker = new Worker<DeliveryJobData>(
    d.keys.queueName(plugin.id),
    async (job, token) => {
      const op = job.data.op;
      try {
        const outcome = await handlers[op](job, token);
        d.metrics.deliveries.inc({ plugin: plugin.id, op, outcome });
        if (op === 'post' || op === 'update' || op === 'reply') plugin.healthy = true;
        return outcome;
      } catch (err) {
        if (err instanceof DelayedError) throw err;
        if (err instanceof PluginError && err.kind === 'rate_limited') {
          // The platform throttles the whole app: pause this plugin's queue, keep the attempt.
          const wait = backoffDelayMs(d.policy, job.attemptsMade + 1, err);
          d.metrics.deliveries.inc({ plugin: plugin.id, op, outcome: 'rate_limited' });
          log.warn({ jobId: job.id, waitMs: wait }, 'rate limited; pausing queue');
          await queue.rateLimit(wait);
          throw Worker.RateLimitError();
        }
        const message = err instanceof Error ? err.message : String(err);
        if (isPermanent(err)) {
          if (err instanceof PluginError && err.kind === 'auth') {
            plugin.healthy = false;
            plugin.lastError = message;
          }
          d.metrics.deliveries.inc({ plugin: plugin.id, op, outcome: 'dead_letter' });
          log.error({ jobId: job.id, err: message }, 'delivery failed permanently; moved to dead letters');
          throw toDeadLetter(err);
        }
        const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        d.metrics.deliveries.inc({ plugin: plugin.id, op, outcome: last ? 'dead_letter' : 'retry' });
        log[last ? 'error' : 'warn'](
          { jobId: job.id, attempt: job.attemptsMade + 1, err: message },
          last ? 'delivery failed; out of attempts' : 'delivery failed; will retry',
        );
        throw err;
      }
    },
    {
      connection: d.connection,
      prefix: d.keys.bullPrefix,
      concurrency: d.concurrency,
      lockDuration: d.lockDurationMs,
      stalledInterval: d.stalledIntervalMs,
      maxStalledCount: 5,
      // Effectively unlimited, but BullMQ honours queue.rateLimit() (our Retry-After pause)
      // on the very next fetch only when a limiter is configured.
      limiter: { max: 100_000, duration: 1000 },
      settings: {
        backoffStrategy: (attemptsMade, type, err) =>
          type === BACKOFF_TYPE ? backoffDelayMs(d.policy, attemptsMade, err) : 1000,
      },
    },
  );
  worker.on('error', (err) => log.warn({ err: err.message }, 'worker connection error'));
  return worker;
}
