// What a plugin's worker (and the route jobs and target writer it runs) is given, in a few
// cohesive groups rather than one bag of fields.

import type { RedisOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RouteRule } from '../../config/schema.js';
import type { Logger as PinoLogger } from '../../log.js';
import type { ActivePlugin } from '../activation/active-plugins.js';
import type { HostMetrics } from '../ops/metrics.js';
import type { HostKeys } from '../redis/keys.js';
import type { ReminderSettings } from '../reminders/reminders.js';
import type { AccessSource } from '../source/access-source.js';
import type { Progress } from '../stream/progress.js';
import type { RequestReader } from '../stream/request-reader.js';
import type { DeliveryQueues } from './delivery-queues.js';
import type { MessageRefs } from './message-refs.js';
import type { PostSteps } from './post-steps.js';
import type { RetryPolicy } from './retry-classifier.js';
import type { TargetLock } from './target-lock.js';

/** The access API: calls, and requests as the watcher last saw them. */
export interface ApiAccess {
  client: AccessSource;
  reader: RequestReader;
}

/** Redis: the host's command connection, BullMQ's connection options, every key name. */
export interface HostStore {
  redis: Redis;
  connection: RedisOptions;
  keys: HostKeys;
}

/** What the host keeps about each target's message: refs, the scripts around a post, versions, locks. */
export interface TargetState {
  refs: MessageRefs;
  steps: PostSteps;
  progress: Progress;
  lock: TargetLock;
}

/** How jobs run: the queues, the retry policy, BullMQ's worker settings. */
export interface JobSettings {
  queues: DeliveryQueues;
  policy: RetryPolicy;
  /** Jobs, and calls to the platform, in flight per plugin. */
  concurrency: number;
  /** BullMQ's job lock (renewed by BullMQ every half of it while the worker lives). */
  jobLockMs: number;
  stalledIntervalMs: number;
}

export interface WorkerDeps {
  plugin: ActivePlugin;
  api: ApiAccess;
  store: HostStore;
  targets: TargetState;
  jobs: JobSettings;
  /** The routing rules in force (replaced as a whole when the config is reloaded). */
  routing: { rules: RouteRule[] };
  reminders: ReminderSettings;
  metrics: HostMetrics;
  log: PinoLogger;
}
