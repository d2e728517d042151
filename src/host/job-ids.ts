// Deterministic BullMQ job ids: the same event seen twice (replay, reconnect, a second host
// replica) yields the same id, and BullMQ ignores an add whose id already exists.
// Ids carry no `:` and never look like integers (BullMQ rejects both).

export type DeliveryOp = 'route' | 'post' | 'update' | 'reply' | 'auto-review';

export interface DeliveryJobData {
  op: DeliveryOp;
  plugin: string;
  requestId: string;
  /** Request version that caused the job (route, update). */
  version?: number;
  /** targetKey() of the target (post, update, reply). */
  target?: string;
  /** Index into request.reviews (reply). */
  review?: number;
  /** Set when the route job's immediate attempt failed permanently: dead-letter without calling again. */
  failedPermanently?: string;
}

export function jobIdFor(data: DeliveryJobData): string {
  const parts: string[] = [data.op, data.plugin, data.requestId];
  if (data.target !== undefined) parts.push(`t${data.target}`);
  if (data.op === 'route' || data.op === 'update') parts.push(`v${data.version ?? 0}`);
  if (data.op === 'reply') parts.push(`r${data.review ?? 0}`);
  return parts.join('.').replaceAll(':', '_');
}
