// Runs a plugin's delivery jobs. Every job re-reads the request and renders from it, so jobs
// are idempotent and their order does not matter; the message ref record (message-refs.ts)
// and the per-target lock (target-lock.ts) make each (request, target) one message.
//
//   route        → resolve targets; claim a `posting` record per new target; queue post/update/reply/auto-review
//   route-batch  → route for many request versions in one job (bursts, reconciles)
//   post         → send the card with the record's delivery id; commit the ref; catch up to newer versions
//   update       → re-render when the platform shows an older version than the latest seen
//   reply        → post one review into the message's thread (plugins with threaded replies)
//   withdraw     → the request was deleted: show every posted message as withdrawn
//   auto-review  → ask the plugin for a review (e.g. on-call) and submit it as the plugin's user

import { DelayedError, type Job, type RedisOptions, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AccessRequest } from '../access/types.js';
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
import { PlatformGate, PlatformPaused } from './platform-gate.js';
import type { PostSteps } from './post-steps.js';
import type { Progress } from './progress.js';
import { RecipientResolver } from './recipient-resolver.js';
import { type ReminderSettings, reminderJob, runReminder } from './reminders.js';
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
  /** The routing rules in force (replaced as a whole when the config is reloaded). */
  routing: { rules: RouteRule[] };
  policy: RetryPolicy;
  reminders: ReminderSettings;
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
    /** A post job runs only after an earlier try (inline, or its own) that may have reached the platform. */
    mayHaveBeenSent?: boolean;
  }

  /** Every call to the platform goes through the gate (concurrency, Retry-After, probe). */
  const gate = new PlatformGate(d.concurrency);
  const platformCall = <T>(call: () => Promise<T>): Promise<T> => gate.call(call);
  const resolver = new RecipientResolver(
    d.redis,
    d.keys.resolveCache(plugin.id),
    (raw, audience) => platformCall(() => plugin.instance.resolveRecipient(raw, audience)),
    log,
  );
  /** Retry-After: this host's calls wait (the gate), and so do every replica's jobs (the queue). */
  async function pausePlatform(ms: number): Promise<void> {
    gate.pause(ms);
    await queue.rateLimit(ms);
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
    const ref = rec.ref;
    const newRef = await platformCall(() =>
      plugin.instance.update(rec.target, ref, card, {
        deliveryId: `${rec.deliveryId}.v${request.version}`,
        attempt: a.attempt,
      }),
    );
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
    const ref = await platformCall(() =>
      plugin.instance.deliver(rec.target, card, {
        deliveryId: rec.deliveryId,
        attempt: a.attempt,
        mayHaveBeenSent: a.mayHaveBeenSent ?? false,
      }),
    );
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
   * What one target of a routed request needs, decided by claiming it (one round trip, no
   * read before it). A target claimed for the first time is posted right away, saving a queue
   * round trip; when that fails, its `post` job owns the retries and the dead letter. A target
   * already posted gets an `update` job only when it shows an older version.
   */
  async function routeTarget(
    job: Job<DeliveryJobData>,
    request: AccessRequest,
    target: Target,
  ): Promise<DeliveryJobData[]> {
    const tkey = targetKey(target.id, target.audience);
    const base = { plugin: plugin.id, requestId: request.id, target: tkey };
    const postJob: DeliveryJobData = { op: 'post', ...base };
    const updateJob: DeliveryJobData = { op: 'update', ...base, version: request.version };
    const later = request.version > 1 ? [postJob, updateJob] : [postJob];
    // Owned by the route job, not the post job: a post job queued meanwhile (by a newer
    // version's route) must wait for this attempt instead of posting beside it.
    const a: Attempt = { requestId: request.id, tkey, owner: job.id!, attempt: 1, queuedAt: job.timestamp };
    const claimed = await d.steps.claimAndLock(
      plugin.id,
      request.id,
      tkey,
      target,
      jobIdFor(postJob),
      lockKeyOf(a),
      a.owner,
    );
    if (claimed.outcome === 'not-ours') {
      const { rec } = claimed;
      if (rec.state !== 'posted') return later;
      return rec.renderedVersion < request.version ? [updateJob] : [];
    }
    if (claimed.outcome === 'busy') return later;
    if (!claimed.created) {
      // Claimed before and not posted yet: its post job is (or will be) on it.
      await d.lock.release(lockKeyOf(a), a.owner);
      return later;
    }
    try {
      const outcome = await holdingLock(a, claimed, (pre) => postTarget(a, pre));
      d.metrics.deliveries.inc({ plugin: plugin.id, op: 'post', outcome });
      return [];
    } catch (err) {
      if (err instanceof PluginError && err.kind === 'rate_limited' && !(err instanceof PlatformPaused)) {
        await pausePlatform(backoffDelayMs(d.policy, 1, err));
      }
      if (isPermanent(err))
        return [{ ...postJob, failedPermanently: err instanceof Error ? err.message : String(err) }];
      if (!(err instanceof PlatformPaused))
        log.warn(
          { jobId: jobIdFor(postJob), err: err instanceof Error ? err.message : String(err) },
          'delivery failed; queued for retry',
        );
      return [postJob];
    }
  }

  /**
   * Routes one request version: the jobs it needs, less the posts already made inline.
   * A posted target that already shows this version (or newer) needs no update job, so a
   * reconcile after a restart queues nothing for requests that are up to date.
   */
  async function routeOne(
    job: Job<DeliveryJobData>,
    requestId: string,
    version: number,
  ): Promise<DeliveryJobData[]> {
    const request = await d.reader.current(requestId, version);
    if (!request) return [];
    const card = await d.reader.card(request);
    const recipients = await routeRequest(
      request,
      card,
      {
        id: plugin.id,
        capabilities: plugin.definition.capabilities,
        defaultRecipients: plugin.instance.defaultRecipients?.bind(plugin.instance),
      },
      d.routing.rules,
      (name) => d.reader.emailOf(name),
    );
    const targets = await resolver.targets(recipients);
    const jobs: DeliveryJobData[] = [];
    const perTarget = targets.map((target) => routeTarget(job, request, target));
    if (plugin.definition.capabilities.threadedReplies && plugin.instance.reply) {
      for (const target of targets) {
        const tkey = targetKey(target.id, target.audience);
        for (let i = 0; i < request.reviews.length; i++)
          jobs.push({ op: 'reply', plugin: plugin.id, requestId, target: tkey, review: i });
      }
    }
    if (
      plugin.definition.capabilities.autoReview &&
      plugin.instance.autoReview &&
      request.state === 'PENDING'
    ) {
      jobs.push({ op: 'auto-review', plugin: plugin.id, requestId });
    }
    const reminder = plugin.instance.remind ? reminderJob(plugin.id, request, d.reminders) : undefined;
    if (reminder) jobs.push(reminder);
    for (const more of await Promise.all(perTarget)) jobs.push(...more);
    return jobs;
  }

  async function route(job: Job<DeliveryJobData>): Promise<Outcome> {
    const jobs = await routeOne(job, job.data.requestId, job.data.version ?? 0);
    await d.queues.add(jobs);
    return 'ok';
  }

  /**
   * Many request versions in one job, so a burst costs one BullMQ job per batch instead of
   * one per request. Each request is routed on its own: one that fails gets its own `route`
   * job, which owns the retries and the dead letter, and the rest of the batch goes on.
   */
  async function routeBatch(job: Job<DeliveryJobData>): Promise<Outcome> {
    const entries = job.data.batch ?? [];
    const jobs: DeliveryJobData[] = [];
    await Promise.all(
      entries.map(async (e) => {
        try {
          jobs.push(...(await routeOne(job, e.id, e.version)));
        } catch (err) {
          if (!(err instanceof PlatformPaused))
            log.warn(
              { requestId: e.id, err: err instanceof Error ? err.message : String(err) },
              'routing failed; queued on its own for retry',
            );
          jobs.push({ op: 'route', plugin: plugin.id, requestId: e.id, version: e.version });
        }
      }),
    );
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
    const a: Attempt = { ...attemptOf(job), mayHaveBeenSent: true };
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
    const ref = rec.ref;
    await platformCall(() =>
      plugin.instance.reply!(rec.target, ref, item, card, {
        deliveryId: `${rec.deliveryId}.r${review}`,
        attempt: job.attemptsMade + 1,
      }),
    );
    await d.redis
      .multi()
      .sadd(repliedKey, String(review))
      .expire(repliedKey, 30 * 24 * 3600)
      .exec();
    return 'ok';
  }

  async function remind(job: Job<DeliveryJobData>): Promise<Outcome> {
    const { reminded, next } = await runReminder(
      {
        plugin: plugin.id,
        settings: d.reminders,
        redis: d.redis,
        keys: d.keys,
        refs: d.refs,
        reader: d.reader,
        remind: (target, ref, card, delivery) =>
          platformCall(() => plugin.instance.remind!(target, ref, card, delivery)),
      },
      job,
    );
    if (next) await d.queues.add([next]);
    return reminded > 0 ? 'ok' : 'skipped';
  }

  /** The request was deleted: every message of it that was posted is shown as withdrawn. */
  async function withdraw(job: Job<DeliveryJobData>): Promise<Outcome> {
    const deleted = job.data.deleted;
    if (!deleted || !plugin.instance.withdraw) return 'skipped';
    let withdrawn = 0;
    for (const [, rec] of await d.refs.all(plugin.id, deleted.id)) {
      if (rec.state !== 'posted' || !rec.ref) continue;
      const card = await d.reader.card(deleted, rec.target.audience);
      const ref = rec.ref;
      await platformCall(() =>
        plugin.instance.withdraw!(rec.target, ref, card, {
          deliveryId: `${rec.deliveryId}.x`,
          attempt: job.attemptsMade + 1,
        }),
      );
      withdrawn++;
    }
    return withdrawn > 0 ? 'ok' : 'skipped';
  }

  async function autoReview(job: Job<DeliveryJobData>): Promise<Outcome> {
    const request = await d.reader.current(job.data.requestId);
    if (request?.state !== 'PENDING') return 'skipped';
    const card = await d.reader.card(request);
    const decision = await platformCall(() => plugin.instance.autoReview!(card));
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

  const handlers = {
    route,
    'route-batch': routeBatch,
    post,
    update,
    reply,
    remind,
    withdraw,
    'auto-review': autoReview,
  } as const;

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
          // (A call not made because of a pause already under way just waits it out.)
          d.metrics.deliveries.inc({ plugin: plugin.id, op, outcome: 'rate_limited' });
          if (err instanceof PlatformPaused) {
            await queue.rateLimit(err.retryAfterMs ?? 1000);
          } else {
            const wait = backoffDelayMs(d.policy, job.attemptsMade + 1, err);
            log.warn({ jobId: job.id, waitMs: wait }, 'rate limited; pausing queue');
            await pausePlatform(wait);
          }
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
