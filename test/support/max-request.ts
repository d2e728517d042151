// The largest request the API accepts: a reason of MAX_REASON_BYTES and MAX_REQUESTED_ITEMS
// resource IDs filling MAX_REQUESTED_BYTES. Used by the limit tests and the soak bench.

import { MAX_REASON_BYTES, MAX_REQUESTED_BYTES, MAX_REQUESTED_ITEMS } from '../../src/access/limits.js';
import type { CreateRequestInput } from '../../src/client/types.js';

const PREFIX = '/cluster.example.com/node/';

/** Resource IDs (of the seeds' `requester` role) that fill the per-request budget exactly. */
export function maxResourceIds(tag: string | number): string[] {
  const each = Math.floor(MAX_REQUESTED_BYTES / MAX_REQUESTED_ITEMS);
  return Array.from({ length: MAX_REQUESTED_ITEMS }, (_, i) => {
    const head = `${PREFIX}n${tag}-${i}-`;
    return head + 'x'.repeat(each - head.length);
  });
}

export function maxSizeRequest(tag: string | number): CreateRequestInput {
  return { resources: maxResourceIds(tag), reason: `r${tag} `.padEnd(MAX_REASON_BYTES, 'y') };
}
