// Deterministic BullMQ job ids: the same event seen twice (replay, reconnect, a second host
// replica) yields the same id, and BullMQ ignores an add whose id already exists.
// Ids carry no `:` and never look like integers (BullMQ rejects both).

import { createHash } from 'node:crypto';
import type { AccessRequest } from '../../access/types.js';

export type DeliveryOp =
  | 'route'
  | 'route-batch'
  | 'post'
  | 'update'
  | 'reply'
  | 'outcome'
  | 'auto-review'
  | 'remind'
  | 'withdraw';

/** One request version to route. */
export interface RouteEntry {
  id: string;
  version: number;
}

export interface DeliveryJobData {
  op: DeliveryOp;
  plugin: string;
  /** The request (route-batch: the first of the batch, for listings). */
  requestId: string;
  /** Request version that caused the job (route, update). */
  version?: number;
  /** Every request version a route-batch job routes. */
  batch?: RouteEntry[];
  /** keyOfTarget() of the target (post, update, reply, outcome). */
  target?: string;
  /** Index into request.reviews (reply). */
  review?: number;
  /** Which reminder, from 0 (remind). */
  reminder?: number;
  /** Not to run before this time (ms since epoch): the job waits delayed until then. */
  notBefore?: number;
  /** withdraw: the request as it was when deleted (the API no longer has it). */
  deleted?: AccessRequest;
  /** Set when the route job's immediate attempt failed permanently: dead-letter without calling again. */
  failedPermanently?: string;
}

/** A batch's id is a digest of what it routes, so the same batch queued twice is one job. */
function batchDigest(batch: RouteEntry[]): string {
  const hash = createHash('sha256');
  for (const e of [...batch].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.version - b.version)))
    hash.update(`${e.id}@${e.version}\n`);
  return hash.digest('hex').slice(0, 24);
}

export function jobIdFor(data: DeliveryJobData): string {
  if (data.op === 'route-batch') return `route-batch.${data.plugin}.b${batchDigest(data.batch ?? [])}`;
  const parts: string[] = [data.op, data.plugin, data.requestId];
  if (data.target !== undefined) parts.push(`t${data.target}`);
  if (data.op === 'route' || data.op === 'update') parts.push(`v${data.version ?? 0}`);
  if (data.op === 'reply') parts.push(`r${data.review ?? 0}`);
  if (data.op === 'remind') parts.push(`n${data.reminder ?? 0}`);
  return parts.join('.').replaceAll(':', '_');
}

/** Route jobs for these request versions: one job per request when few, batches when many. */
export function routeJobs(plugin: string, entries: RouteEntry[], batchSize: number): DeliveryJobData[] {
  if (entries.length === 1) {
    const [e] = entries as [RouteEntry];
    return [{ op: 'route', plugin, requestId: e.id, version: e.version }];
  }
  const jobs: DeliveryJobData[] = [];
  for (let i = 0; i < entries.length; i += batchSize) {
    const batch = entries.slice(i, i + batchSize);
    const [first] = batch as [RouteEntry];
    jobs.push(
      batch.length === 1
        ? { op: 'route', plugin, requestId: first.id, version: first.version }
        : { op: 'route-batch', plugin, requestId: first.id, batch },
    );
  }
  return jobs;
}
