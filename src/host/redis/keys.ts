// Every Redis key and BullMQ name the host uses, in one place, so replicas sharing a Redis
// (and the deliveries CLI) agree on them. BullMQ forbids `:` in job ids, so ids use `-`/`.`.
//
// Per-request keys (`ver`, `refs`, `sends`) expire `requestTtlSeconds` after their last write
// (`host.redis.request_retention`, 30 days by default): a request's bookkeeping is kept while
// it can still change and for a while after, and Redis memory stays bounded by the requests of
// that period. Target locks (`refs:...:lock:...`) live seconds; the reminder index drops a
// request when it is resolved.

import { createHash } from 'node:crypto';

/** `host.redis.request_retention` when the config says nothing (the schema's default). */
export const DEFAULT_REQUEST_RETENTION_MS = 30 * 24 * 3600 * 1000;

export interface HostKeys {
  prefix: string;
  /** TTL of every per-request key, refreshed at each write (host.redis.request_retention). */
  requestTtlSeconds: number;
  /** BullMQ key prefix (BullMQ adds `:<queue>:...` itself). */
  bullPrefix: string;
  queueName(pluginId: string): string;
  cursor: string;
  /** Highest request version any replica's watcher has seen. */
  latestVersion(requestId: string): string;
  refs(pluginId: string, requestId: string): string;
  /** Hash per target: replies, reminders and the outcome notice tried or sent (send-marks.ts). */
  sends(pluginId: string, requestId: string, targetKey: string): string;
  /** Sorted set: requests of a plugin whose first reminder is still to be queued, by due time (ms). */
  reminderDue(pluginId: string): string;
  resolveCache(pluginId: string): string;
  pluginKv(pluginId: string): string;
  /** Lease of one interval's run of a plugin's periodic poll, shared by every replica. */
  pollLease(pluginId: string): string;
}

export function hostKeys(prefix: string, requestRetentionMs = DEFAULT_REQUEST_RETENTION_MS): HostKeys {
  return {
    prefix,
    requestTtlSeconds: Math.max(1, Math.ceil(requestRetentionMs / 1000)),
    bullPrefix: `${prefix}:bull`,
    queueName: (pluginId) => `deliver.${pluginId}`,
    cursor: `${prefix}:watch:cursor`,
    latestVersion: (requestId) => `${prefix}:ver:${requestId}`,
    refs: (pluginId, requestId) => `${prefix}:refs:${pluginId}:${requestId}`,
    sends: (pluginId, requestId, targetKey) => `${prefix}:sends:${pluginId}:${requestId}:${targetKey}`,
    reminderDue: (pluginId) => `${prefix}:remind-due:${pluginId}`,
    resolveCache: (pluginId) => `${prefix}:resolve:${pluginId}`,
    pluginKv: (pluginId) => `${prefix}:plugin:${pluginId}:`,
    pollLease: (pluginId) => `${prefix}:poll-lease:${pluginId}`,
  };
}

const targetKeys = new Map<string, string>();

/** Short stable key for a target (ids may hold `:`, `/`, spaces...). Remembered: every delivery asks. */
export function keyOfTarget(targetId: string, audience: string): string {
  const name = `${audience}\u0000${targetId}`;
  let key = targetKeys.get(name);
  if (key === undefined) {
    key = createHash('sha256').update(name).digest('hex').slice(0, 20);
    if (targetKeys.size >= 10_000) targetKeys.clear();
    targetKeys.set(name, key);
  }
  return key;
}
