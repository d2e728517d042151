// The route jobs: who gets a request version, and what each target needs. A target seen for
// the first time is claimed and posted inline; anything else becomes its own job (post,
// update, reply, auto-review). `route-batch` routes many request versions in one job. A request
// routed once resolved leaves the reminder index (reminders.ts).

import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AccessRequest } from '../../access/types.js';
import type { RouteRule } from '../../config/schema.js';
import type { Logger as PinoLogger } from '../../log.js';
import type { Target } from '../../plugin-sdk/index.js';
import type { ActivePlugin } from '../activation/active-plugins.js';
import type { DeliveryQueues } from '../delivery/delivery-queues.js';
import { type DeliveryJobData, jobIdFor } from '../delivery/job-ids.js';
import type { PostSteps } from '../delivery/post-steps.js';
import { classifyFailure, type RetryPolicy } from '../delivery/retry-classifier.js';
import type { TargetLock } from '../delivery/target-lock.js';
import type { Attempt, Outcome, TargetWriter } from '../delivery/target-writer.js';
import type { HostMetrics } from '../ops/metrics.js';
import { type HostKeys, keyOfTarget } from '../redis/keys.js';
import type { RequestReader } from '../stream/request-reader.js';
import type { RecipientResolver } from './recipient-resolver.js';
import { routeRequest } from './router.js';

export interface RoutingDeps {
  plugin: ActivePlugin;
  reader: RequestReader;
  /** The routing rules in force (replaced as a whole when the config is reloaded). */
  routing: { rules: RouteRule[] };
  steps: PostSteps;
  lock: TargetLock;
  metrics: HostMetrics;
  queues: DeliveryQueues;
  policy: RetryPolicy;
  redis: Redis;
  keys: HostKeys;
}

export function createRouting(
  deps: RoutingDeps,
  writer: TargetWriter,
  resolver: RecipientResolver,
  pausePlatform: (ms: number) => Promise<boolean>,
  log: PinoLogger,
) {
  const { plugin } = deps;

  /**
   * What one target of a routed request needs, found out by claiming it (one round trip, no
   * read before it). A target claimed for the first time is posted right away, saving a queue
   * round trip; when that fails, its `post` job owns the retries and the dead letter. A target
   * already posted gets an `update` job only when it shows an older version.
   */
  async function routeTarget(
    job: Job<DeliveryJobData>,
    request: AccessRequest,
    target: Target,
  ): Promise<DeliveryJobData[]> {
    const targetKey = keyOfTarget(target.id, target.audience);
    const base = { plugin: plugin.id, requestId: request.id, target: targetKey };
    const postJob: DeliveryJobData = { op: 'post', ...base };
    const updateJob: DeliveryJobData = { op: 'update', ...base, version: request.version };
    const later = request.version > 1 ? [postJob, updateJob] : [postJob];
    // Owned by the route job, not the post job: a post job queued meanwhile (by a newer
    // version's route) must wait for this attempt instead of posting beside it.
    const attempt: Attempt = {
      requestId: request.id,
      targetKey,
      owner: job.id!,
      attempt: 1,
      queuedAt: job.timestamp,
    };
    const claimed = await deps.steps.claimAndLock(
      plugin.id,
      request.id,
      targetKey,
      target,
      jobIdFor(postJob),
      writer.lockKeyOf(attempt),
      attempt.owner,
    );
    if (claimed.outcome === 'not-ours') {
      const { record } = claimed;
      if (record.state !== 'posted') return later;
      return record.renderedVersion < request.version ? [updateJob] : [];
    }
    if (claimed.outcome === 'busy') return later;
    if (!claimed.created) {
      // Claimed before and not posted yet: its post job is (or will be) on it.
      await deps.lock.release(writer.lockKeyOf(attempt), attempt.owner);
      return later;
    }
    try {
      const outcome = await writer.holdingClaimedLock(attempt, claimed, (preloaded, lease) =>
        writer.postTarget(attempt, preloaded, lease),
      );
      deps.metrics.deliveries.inc({ plugin: plugin.id, op: 'post', outcome });
      return [];
    } catch (err) {
      // The post job owns what follows; this was its first try.
      return [await retryOnItsOwn(postJob, err, 'delivery failed; queued for retry')];
    }
  }

  /**
   * What becomes of work done inline (a route job's post, one request of a batch) that failed:
   * its own job, classified like any job's failure, so even the first retry waits its backoff
   * (or the platform's pause), and a permanent failure dead-letters without calling again.
   */
  async function retryOnItsOwn(next: DeliveryJobData, err: unknown, what: string): Promise<DeliveryJobData> {
    const decision = classifyFailure(err, deps.policy, 1);
    const message = err instanceof Error ? err.message : String(err);
    switch (decision.kind) {
      case 'dead-letter':
        return { ...next, failedPermanently: message };
      case 'pause-platform':
        await pausePlatform(decision.delayMs);
        return { ...next, notBefore: Date.now() + decision.delayMs };
      case 'retry-after':
        log.warn({ jobId: jobIdFor(next), err: message, waitMs: decision.delayMs }, what);
        return { ...next, notBefore: Date.now() + decision.delayMs };
      case 'retry-now':
        return { ...next, notBefore: Date.now() + decision.delayMs };
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
    const request = await deps.reader.current(requestId, version);
    if (!request) return [];
    const card = await deps.reader.card(request);
    const recipients = await routeRequest(
      request,
      card,
      {
        id: plugin.id,
        capabilities: plugin.capabilities,
        defaultRecipients: plugin.instance.defaultRecipients?.bind(plugin.instance),
      },
      deps.routing.rules,
      (name) => deps.reader.emailOf(name),
    );
    const targets = await resolver.targets(recipients);
    const jobs: DeliveryJobData[] = [];
    const perTarget = targets.map((target) => routeTarget(job, request, target));
    if (plugin.capabilities.threadedReplies) {
      for (const target of targets) {
        const targetKey = keyOfTarget(target.id, target.audience);
        for (let i = 0; i < request.reviews.length; i++)
          jobs.push({ op: 'reply', plugin: plugin.id, requestId, target: targetKey, review: i });
      }
    }
    // The requester's copy was edited to show the outcome; an edit does not notify, so one
    // notice of its own follows (once per target: job id and send mark).
    if (plugin.capabilities.outcomeNotices && request.state !== 'PENDING') {
      for (const target of targets) {
        if (target.audience !== 'requester') continue;
        jobs.push({
          op: 'outcome',
          plugin: plugin.id,
          requestId,
          target: keyOfTarget(target.id, target.audience),
        });
      }
    }
    if (plugin.capabilities.autoReview && request.state === 'PENDING') {
      jobs.push({ op: 'auto-review', plugin: plugin.id, requestId });
    }
    // Decided (or expired): no reminder is due any more. One command, no job.
    if (plugin.capabilities.reminders && request.state !== 'PENDING')
      await deps.redis.zrem(deps.keys.reminderDue(plugin.id), request.id);
    for (const more of await Promise.all(perTarget)) jobs.push(...more);
    return jobs;
  }

  async function route(job: Job<DeliveryJobData>): Promise<Outcome> {
    const jobs = await routeOne(job, job.data.requestId, job.data.version ?? 0);
    await deps.queues.add(jobs);
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
          const own: DeliveryJobData = {
            op: 'route',
            plugin: plugin.id,
            requestId: e.id,
            version: e.version,
          };
          jobs.push(await retryOnItsOwn(own, err, 'routing failed; queued on its own for retry'));
        }
      }),
    );
    await deps.queues.add(jobs);
    return 'ok';
  }

  return { route, routeBatch };
}
