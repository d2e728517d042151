// Every Redis key and BullMQ name the host uses, in one place, so replicas sharing a Redis
// (and the deliveries CLI) agree on them. BullMQ forbids `:` in job ids, so ids use `-`/`.`.

import { createHash } from 'node:crypto';

export interface HostKeys {
  prefix: string;
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

export function hostKeys(prefix: string): HostKeys {
  return {
    prefix,
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
