import { describe, expect, it } from 'vitest';
import { decide, stillNeeded } from './thresholds.js';
import type { AccessRequest, Review, Threshold } from './types.js';

function request(
  thresholds: Threshold[],
  roleThresholds: Record<string, number[]>,
  reviews: Review[] = [],
): AccessRequest {
  return {
    id: 'r1',
    user: 'bob',
    roles: Object.keys(roleThresholds),
    resources: [],
    reason: '',
    suggestedReviewers: [],
    annotations: {},
    thresholds,
    roleThresholds,
    state: 'PENDING',
    reviews,
    created: '2026-01-01T00:00:00Z',
    requestExpires: '2026-01-02T00:00:00Z',
    accessExpires: '2026-01-02T00:00:00Z',
    approvedRoles: [],
    version: 1,
  };
}

const approval = (author: string, extra: Partial<Review> = {}): Review => ({
  author,
  submittedBy: author,
  proposedState: 'APPROVED',
  reason: '',
  roles: [],
  annotations: {},
  created: '2026-01-01T00:00:00Z',
  ...extra,
});

describe('stillNeeded: approvals', () => {
  it('counts down with each approval until the request would be approved', () => {
    const thresholds = [{ approve: 3, deny: 1 }];
    let req = request(thresholds, { 'prod-db': [0] });
    expect(stillNeeded(req).approvals).toBe(3);
    req = request(thresholds, { 'prod-db': [0] }, [approval('alice')]);
    expect(stillNeeded(req).approvals).toBe(2);
    req = request(thresholds, { 'prod-db': [0] }, [approval('alice'), approval('dave'), approval('carol')]);
    expect(stillNeeded(req).approvals).toBe(0);
    expect(decide(req).state).toBe('APPROVED');
  });

  it('takes the closest threshold of each role, and the furthest role', () => {
    const thresholds = [
      { approve: 2, deny: 1 },
      { approve: 1, deny: 1 },
      { approve: 3, deny: 1 },
    ];
    expect(stillNeeded(request(thresholds, { dba: [0, 1], audit: [2] })).approvals).toBe(3);
    expect(stillNeeded(request(thresholds, { dba: [0, 1] })).approvals).toBe(1);
  });

  it('an approval that covers another role, or a threshold it does not count toward, leaves the count', () => {
    const thresholds = [{ approve: 2, deny: 1 }];
    const req = request(thresholds, { dba: [0], audit: [0] }, [
      approval('alice', { roles: ['audit'] }),
      approval('dave', { thresholdIndexes: [] }),
    ]);
    expect(stillNeeded(req).approvals).toBe(2);
  });
});
