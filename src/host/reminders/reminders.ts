// Reminders: while a request waits for a review, the threads of its reviewer messages get a
// nudge `after` its creation, then every `every`, at most `max` times.
//
// The first reminder costs a delivery nothing extra: the commit that posts a reviewer target
// enters the request in a per-plugin index (a sorted set by due time, post-steps.ts), and a
// sweeper (reminder-sweeper.ts) queues `remind` jobs for what is due. A request routed as
// resolved leaves the index. Each reminder job has a deterministic id
// (`remind.<plugin>.<request>.n<k>`), so replicas and re-runs queue the same one; the job finds
// the request resolved and does nothing, or reminds each posted reviewer target once and queues
// the next as a delayed job.

import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AccessRequest } from '../../access/types.js';
import type { Card, DeliveryContext, MessageRef, Target } from '../../plugin-sdk/index.js';
import type { DeliveryJobData } from '../delivery/job-ids.js';
import type { MessageRefs } from '../delivery/message-refs.js';
import { beginSend, markSent } from '../delivery/send-marks.js';
import type { HostKeys } from '../redis/keys.js';
import type { RequestReader } from '../stream/request-reader.js';

export interface ReminderSettings {
  afterMs: number;
  everyMs: number;
  max: number;
}

/**
 * When reminder `k` of a request is due (ms), or undefined when it gets none: not pending any
 * more, reminders used up (or off), or due only after the request expires.
 */
export function reminderDue(request: AccessRequest, s: ReminderSettings, k = 0): number | undefined {
  if (request.state !== 'PENDING' || k >= s.max) return undefined;
  const due = Date.parse(request.created) + s.afterMs + k * s.everyMs;
  return due < Date.parse(request.requestExpires) ? due : undefined;
}

/** The job for reminder `k`, when the request gets one. */
export function reminderJob(
  plugin: string,
  request: AccessRequest,
  s: ReminderSettings,
  k = 0,
): DeliveryJobData | undefined {
  const notBefore = reminderDue(request, s, k);
  if (notBefore === undefined) return undefined;
  return { op: 'remind', plugin, requestId: request.id, reminder: k, notBefore };
}

export interface ReminderDeps {
  plugin: string;
  settings: ReminderSettings;
  redis: Redis;
  keys: HostKeys;
  refs: MessageRefs;
  reader: RequestReader;
  remind: (target: Target, ref: MessageRef, card: Card, delivery: DeliveryContext) => Promise<void>;
}

/** Runs reminder `job.data.reminder`; resolves with the next reminder's job, if any. */
export async function runReminder(
  deps: ReminderDeps,
  job: Job<DeliveryJobData>,
): Promise<{ reminded: number; next?: DeliveryJobData }> {
  const k = job.data.reminder ?? 0;
  // Fresh from the API: a reminder is rare, and must not nudge about a resolved request.
  const request = await deps.reader.current(job.data.requestId);
  if (request?.state !== 'PENDING') return { reminded: 0 };
  const card = await deps.reader.card(request);
  const records = await deps.refs.all(deps.plugin, request.id);
  let reminded = 0;
  for (const [targetKey, record] of records) {
    if (record.state !== 'posted' || !record.ref || record.target.audience !== 'reviewer') continue;
    // Once per target and reminder, whatever the retries (send-marks.ts).
    const sendsKey = deps.keys.sends(deps.plugin, request.id, targetKey);
    const field = `m${k}`;
    const state = await beginSend(deps.redis, sendsKey, field, deps.keys.requestTtlSeconds);
    if (state === 'sent') continue;
    await deps.remind(record.target, record.ref, card, {
      deliveryId: `${record.deliveryId}.m${k}`,
      attempt: job.attemptsMade + 1,
      mayHaveBeenSent: state === 'retry',
    });
    await markSent(deps.redis, sendsKey, field, deps.keys.requestTtlSeconds);
    reminded++;
  }
  const next = reminderJob(deps.plugin, request, deps.settings, k + 1);
  return next ? { reminded, next } : { reminded };
}
