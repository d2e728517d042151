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
import { PluginError } from '../plugin-sdk/index.js';
import type { ActivePlugin } from './active-plugins.js';
import type { DeliveryQueues } from './delivery-queues.js';
import { type DeliveryJobData, jobIdFor } from './job-ids.js';
import { type HostKeys, targetKey } from './keys.js';
import type { MessageRefs, RefRecord } from './message-refs.js';
import type { HostMetrics } from './metrics.js';
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

/** A job that must wait for another (the post of its message) goes back to delayed, spending no attempt. */
async function waitAndRetry(job: Job, token: string | undefined, ms: number): Promise<never> {
  await job.moveToDelayed(Date.now() + ms + Math.floor(Math.random() * ms), token);
  throw new DelayedError();
}

export function startDeliveryWorker(d: WorkerDeps): Worker<DeliveryJobData> {
  const { plugin } = d;
  const log = d.log.child({ plugin: plugin.id });
  const queue = d.queues.queues.get(plugin.id)!;

  async function withTargetLock<T>(
    job: Job<DeliveryJobData>,
    token: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    const lockKey = `${d.keys.refs(plugin.id, job.data.requestId)}:lock:${job.data.target}`;
    if (!(await d.lock.acquire(lockKey, job.id!))) return waitAndRetry(job, token, 100);
    try {
      return await fn();
    } finally {
      await d.lock.release(lockKey, job.id!);
    }
  }

  /** Renders the newest version seen when the platform shows an older one. Call under the target lock. */
  async function catchUp(
    job: Job<DeliveryJobData>,
    tkey: string,
    rec: RefRecord,
    minVersion: number,
  ): Promise<Outcome> {
    const latest = Math.max(minVersion, await d.progress.latestVersion(job.data.requestId));
    if (rec.state !== 'posted' || !rec.ref || rec.renderedVersion >= latest) return 'skipped';
    const request = await d.reader.current(job.data.requestId, latest);
    if (!request || request.version <= rec.renderedVersion) return 'skipped';
    const card = await d.reader.card(request, rec.target.audience);
    const newRef = await plugin.instance.update(rec.target, rec.ref, card, {
      deliveryId: `${rec.deliveryId}.v${request.version}`,
      attempt: job.attemptsMade + 1,
    });
    await d.refs.rendered(plugin.id, request.id, tkey, request.version, newRef ?? undefined);
    return 'ok';
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
    const targets = await resolveRecipients(
      d.redis,
      d.keys.resolveCache(plugin.id),
      plugin.instance,
      recipients,
      log,
    );
    const records = await d.refs.all(plugin.id, requestId);
    const jobs: DeliveryJobData[] = [];
    for (const target of targets) {
      const tkey = targetKey(target.id, target.audience);
      const base = { plugin: plugin.id, requestId, target: tkey };
      let rec = records.get(tkey);
      if (!rec)
        rec = await d.refs.claim(plugin.id, requestId, tkey, target, jobIdFor({ op: 'post', ...base }));
      if (rec.state !== 'posted') jobs.push({ op: 'post', ...base });
      if (request.version > 1 || rec.state === 'posted')
        jobs.push({ op: 'update', ...base, version: request.version });
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
    await d.queues.add(jobs);
    return 'ok';
  }

  async function post(job: Job<DeliveryJobData>, token: string | undefined): Promise<Outcome> {
    const { requestId } = job.data;
    const tkey = job.data.target!;
    return withTargetLock(job, token, async () => {
      const rec = await d.refs.get(plugin.id, requestId, tkey);
      if (!rec) return 'skipped';
      if (rec.state === 'posted') return catchUp(job, tkey, rec, 0);
      const request = await d.reader.current(requestId, await d.progress.latestVersion(requestId));
      if (!request) return 'skipped';
      const card = await d.reader.card(request, rec.target.audience);
      const ref = await plugin.instance.deliver(rec.target, card, {
        deliveryId: rec.deliveryId,
        attempt: job.attemptsMade + 1,
      });
      await d.refs.commit(plugin.id, requestId, tkey, ref, request.version);
      d.metrics.deliveryLatency.observe(
        { plugin: plugin.id, op: 'post' },
        (Date.now() - job.timestamp) / 1000,
      );
      const now = await d.refs.get(plugin.id, requestId, tkey);
      if (now) await catchUp(job, tkey, now, 0);
      return 'ok';
    });
  }

  async function update(job: Job<DeliveryJobData>, token: string | undefined): Promise<Outcome> {
    const tkey = job.data.target!;
    return withTargetLock(job, token, async () => {
      const rec = await d.refs.get(plugin.id, job.data.requestId, tkey);
      // Not posted yet: the post renders whatever is newest when it runs.
      if (!rec || rec.state !== 'posted') return 'skipped';
      const outcome = await catchUp(job, tkey, rec, job.data.version ?? 0);
      if (outcome === 'ok') {
        d.metrics.deliveryLatency.observe(
          { plugin: plugin.id, op: 'update' },
          (Date.now() - job.timestamp) / 1000,
        );
      }
      return outcome;
    });
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
    if (!request || request.state !== 'PENDING') return 'skipped';
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
