// Requests and waits shared by the store conformance suite.

import type { AccessRequest } from '../../../src/access/types.js';

export function request(
  id: string,
  version = 1,
  state: AccessRequest['state'] = 'PENDING',
  extra: Partial<AccessRequest> = {},
): AccessRequest {
  return {
    id,
    user: 'alice',
    roles: ['dba'],
    resources: [],
    reason: '',
    suggestedReviewers: [],
    annotations: {},
    thresholds: [{ approve: 1, deny: 1 }],
    roleThresholds: { dba: [0] },
    state,
    reviews: [],
    created: '2026-01-01T00:00:00.000Z',
    requestExpires: '2026-01-02T00:00:00.000Z',
    accessExpires: '2026-01-01T08:00:00.000Z',
    approvedRoles: [],
    version,
    ...extra,
  };
}

/** Polls until `check` is true, failing with `what` after `timeoutMs`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
