// Runs a plugin's delivery jobs. Every job re-reads the request and renders from it, so jobs
// are idempotent and their order does not matter; the message ref record (message-refs.ts)
// and the per-target lock (target-lock.ts) make each (request, target) one message.
//
//   route        → resolve targets; claim a `posting` record per new target; queue post/update/reply/auto-review (routing-jobs.ts)
//   route-batch  → route for many request versions in one job (bursts, reconciles)
//   post         → send the card with the record's delivery id; commit the ref; catch up to newer versions (target-writer.ts)
//   update       → re-render when the platform shows an older version than the latest seen
//   reply        → post one review into the message's thread (plugins with threaded replies)
//   remind       → nudge the reviewer threads of a request still waiting (reminders.ts)
//   withdraw     → the request was deleted: show every posted message as withdrawn
//   auto-review  → the host's on-call policy over the plugin's onCall provider (src/host/on-call), or the
//                  plugin's own autoReview; submit the review as the plugin's review_as user
//
// This file holds the worker: the platform gate, retries and dead letters, and the small jobs.

import { DelayedError, type Job, Worker } from 'bullmq';
import { AccessbotError } from '../../errors.js';
import { type Card, type DeliveryContext, PluginError, permanent } from '../../plugin-sdk/index.js';
import { decideOnCall } from '../on-call/decide.js';
import { requesterOf } from '../on-call/requester.js';
import { runReminder } from '../reminders/reminders.js';
import { RecipientResolver } from '../routing/recipient-resolver.js';
import { createRouting } from '../routing/routing-jobs.js';
import type { DeliveryJobData } from './job-ids.js';
import { PlatformGate } from './platform-gate.js';
import {
  BACKOFF_TYPE,
  backoffDelayMs,
  classifyFailure,
  isPermanent,
  TargetBusy,
} from './retry-classifier.js';
import { beginSend, markSent } from './send-marks.js';
import { type Attempt, createTargetWriter, type Outcome } from './target-writer.js';
import type { WorkerDeps } from './worker-deps.js';

export type { WorkerDeps } from './worker-deps.js';

/** How long a reply or outcome job waits (jittered) for its message to be posted. */
const NOT_POSTED_WAIT_MS = 500;

export function startDeliveryWorker(deps: WorkerDeps): Worker<DeliveryJobData> {
  const { plugin } = deps;
  const log = deps.log.child({ plugin: plugin.id });
  const queue = deps.jobs.queues.queues.get(plugin.id)!;

  /** Every call to the platform goes through the gate (concurrency, Retry-After, probe). */
  const gate = new PlatformGate(deps.jobs.concurrency);
  const platformCall = <T>(call: () => Promise<T>): Promise<T> => gate.call(call);
  const resolver = new RecipientResolver(
    deps.store.redis,
    deps.store.keys.resolveCache(plugin.id),
    (raw, audience) => platformCall(() => plugin.instance.resolveRecipient(raw, audience)),
    log,
  );
  /**
   * Retry-After: this host's calls wait (the gate), and so do every replica's jobs (the queue).
   * True when this moved the end of the pause (the first job to hear of it says so in the log).
   */
  async function pausePlatform(ms: number): Promise<boolean> {
    const extended = gate.pause(ms);
    await queue.rateLimit(ms);
    return extended;
  }
  const writer = createTargetWriter(deps, platformCall);
  const { route, routeBatch } = createRouting(deps, writer, resolver, pausePlatform, log);

  async function post(job: Job<DeliveryJobData>): Promise<Outcome> {
    const attempt: Attempt = { ...writer.attemptOf(job), mayHaveBeenSent: true };
    return writer.underTargetLock(attempt, (preloaded, lease) =>
      writer.postTarget(attempt, preloaded, lease),
    );
  }

  async function update(job: Job<DeliveryJobData>): Promise<Outcome> {
    const attempt = writer.attemptOf(job);
    return writer.underTargetLock(attempt, async ({ record, latest }) => {
      // Not posted yet: the post renders whatever is newest when it runs.
      if (record?.state !== 'posted') return 'skipped' as const;
      return writer.catchUp(attempt, record, job.data.version ?? 0, latest);
    });
  }

  /** The posted message of a job's target; waits (delayed) while it is being posted. */
  async function postedRecordOf(job: Job<DeliveryJobData>) {
    const record = await deps.targets.refs.get(plugin.id, job.data.requestId, job.data.target!);
    if (!record) return undefined;
    if (record.state !== 'posted' || !record.ref) {
      if (Date.now() - job.timestamp > 15 * 60_000)
        throw new PluginError('transient', 'message was never posted');
      throw new TargetBusy(NOT_POSTED_WAIT_MS, 'the message is not posted yet');
    }
    return { ...record, ref: record.ref };
  }

  /**
   * One message in the thread of a posted target (a review reply, the requester's outcome
   * notice), once: the host's send mark is set only after the platform call returned.
   */
  async function sendOnce(
    job: Job<DeliveryJobData>,
    field: string,
    send: (
      record: NonNullable<Awaited<ReturnType<typeof postedRecordOf>>>,
      card: Card,
      delivery: DeliveryContext,
    ) => Promise<boolean>,
  ): Promise<Outcome> {
    const { requestId } = job.data;
    const record = await postedRecordOf(job);
    if (!record) return 'skipped';
    const sendsKey = deps.store.keys.sends(plugin.id, requestId, job.data.target!);
    const state = await beginSend(deps.store.redis, sendsKey, field);
    if (state === 'sent') return 'skipped';
    const request = await deps.api.reader.current(
      requestId,
      await deps.targets.progress.latestVersion(requestId),
    );
    if (!request) return 'skipped';
    const card = await deps.api.reader.card(request, record.target.audience);
    const sent = await send(record, card, {
      deliveryId: `${record.deliveryId}.${field}`,
      attempt: job.attemptsMade + 1,
      mayHaveBeenSent: state === 'retry',
    });
    if (!sent) return 'skipped';
    await markSent(deps.store.redis, sendsKey, field);
    return 'ok';
  }

  async function reply(job: Job<DeliveryJobData>): Promise<Outcome> {
    const index = job.data.review ?? 0;
    return sendOnce(job, `r${index}`, async (record, card, delivery) => {
      const review = card.reviews[index];
      if (!review) return false;
      await platformCall(() => plugin.instance.reply!(record.target, record.ref, review, card, delivery));
      return true;
    });
  }

  async function outcome(job: Job<DeliveryJobData>): Promise<Outcome> {
    return sendOnce(job, 'outcome', async (record, card, delivery) => {
      if (card.state === 'PENDING') return false;
      await platformCall(() => plugin.instance.notifyOutcome!(record.target, record.ref, card, delivery));
      return true;
    });
  }

  async function remind(job: Job<DeliveryJobData>): Promise<Outcome> {
    const { reminded, next } = await runReminder(
      {
        plugin: plugin.id,
        settings: deps.reminders,
        redis: deps.store.redis,
        keys: deps.store.keys,
        refs: deps.targets.refs,
        reader: deps.api.reader,
        remind: (target, ref, card, delivery) =>
          platformCall(() => plugin.instance.remind!(target, ref, card, delivery)),
      },
      job,
    );
    if (next) await deps.jobs.queues.add([next]);
    return reminded > 0 ? 'ok' : 'skipped';
  }

  /** The request was deleted: every message of it that was posted is shown as withdrawn. */
  async function withdraw(job: Job<DeliveryJobData>): Promise<Outcome> {
    const deleted = job.data.deleted;
    if (!deleted || !plugin.instance.withdraw) return 'skipped';
    let withdrawn = 0;
    for (const [, record] of await deps.targets.refs.all(plugin.id, deleted.id)) {
      if (record.state !== 'posted' || !record.ref) continue;
      const card = await deps.api.reader.card(deleted, record.target.audience);
      const ref = record.ref;
      await platformCall(() =>
        plugin.instance.withdraw!(record.target, ref, card, {
          deliveryId: `${record.deliveryId}.x`,
          attempt: job.attemptsMade + 1,
          mayHaveBeenSent: job.attemptsMade > 0,
        }),
      );
      withdrawn++;
    }
    return withdrawn > 0 ? 'ok' : 'skipped';
  }

  async function autoReview(job: Job<DeliveryJobData>): Promise<Outcome> {
    const request = await deps.api.reader.current(job.data.requestId);
    if (request?.state !== 'PENDING') return 'skipped';
    const card = await deps.api.reader.card(request);
    const provider = plugin.instance.onCall;
    const policy = plugin.onCall;
    const decision =
      provider && policy
        ? await platformCall(() =>
            decideOnCall(provider, policy, card, () => requesterOf(deps.api.client, request.user), log),
          )
        : await platformCall(() => plugin.instance.autoReview!(card));
    if (!decision) return 'skipped';
    try {
      await deps.api.client.submitReview(request.id, {
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
    outcome,
    remind,
    withdraw,
    'auto-review': autoReview,
  } as const;

  const worker = new Worker<DeliveryJobData>(
    deps.store.keys.queueName(plugin.id),
    async (job, token) => {
      const op = job.data.op;
      try {
        const { failedPermanently, ...rest } = job.data;
        if (failedPermanently !== undefined) {
          // Failed for good inline (route job): dead-letter without calling again. Dropped from
          // the data so that an operator's retry really tries again.
          await job.updateData(rest);
          throw permanent(failedPermanently);
        }
        const outcome = await handlers[op](job);
        deps.metrics.deliveries.inc({ plugin: plugin.id, op, outcome });
        if (op === 'post' || op === 'update' || op === 'reply' || op === 'outcome') plugin.healthy = true;
        return outcome;
      } catch (err) {
        if (err instanceof DelayedError) throw err;
        const message = err instanceof Error ? err.message : String(err);
        const decision = classifyFailure(err, deps.jobs.policy, job.attemptsMade + 1);
        switch (decision.kind) {
          case 'retry-now':
            // Another writer is on it: back to delayed, spending no attempt.
            await job.moveToDelayed(Date.now() + decision.delayMs, token);
            throw new DelayedError();
          case 'pause-platform':
            // The platform throttles the whole app: pause this plugin's queue, keep the attempt.
            deps.metrics.deliveries.inc({ plugin: plugin.id, op, outcome: 'rate_limited' });
            if (await pausePlatform(decision.delayMs))
              log.warn({ jobId: job.id, waitMs: decision.delayMs }, 'rate limited; pausing queue');
            throw Worker.RateLimitError();
          case 'dead-letter':
            if (err instanceof PluginError && err.kind === 'auth') {
              plugin.healthy = false;
              plugin.lastError = message;
            }
            deps.metrics.deliveries.inc({ plugin: plugin.id, op, outcome: 'dead_letter' });
            log.error(
              { jobId: job.id, attempt: job.attemptsMade + 1, err: message },
              isPermanent(err)
                ? 'delivery failed permanently; moved to dead letters'
                : 'delivery failed; out of attempts',
            );
            throw decision.error;
          case 'retry-after':
            // BullMQ waits the delay: its backoff strategy (below) asks the same classifier.
            deps.metrics.deliveries.inc({ plugin: plugin.id, op, outcome: 'retry' });
            log.warn(
              { jobId: job.id, attempt: job.attemptsMade + 1, err: message, waitMs: decision.delayMs },
              'delivery failed; will retry',
            );
            throw err;
        }
      }
    },
    {
      connection: deps.store.connection,
      prefix: deps.store.keys.bullPrefix,
      concurrency: deps.jobs.concurrency,
      lockDuration: deps.jobs.jobLockMs,
      stalledInterval: deps.jobs.stalledIntervalMs,
      maxStalledCount: 5,
      // Effectively unlimited, but BullMQ honours queue.rateLimit() (our Retry-After pause)
      // on the very next fetch only when a limiter is configured.
      limiter: { max: 100_000, duration: 1000 },
      settings: {
        backoffStrategy: (attemptsMade, type, err) =>
          type === BACKOFF_TYPE
            ? backoffDelayMs(deps.jobs.policy, attemptsMade, err)
            : deps.jobs.policy.baseMs,
      },
    },
  );
  worker.on('error', (err) => log.warn({ err: err.message }, 'worker connection error'));
  return worker;
}
