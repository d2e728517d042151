// What it still takes to decide a pending request, against the thresholds the API
// decides by (src/access/thresholds.ts `decide`).

import { describe, expect, it } from 'vitest';
import { decide, stillNeeded } from './thresholds.js';
import type { AccessRequest, Review } from './types.js';

function request(over: Partial<AccessRequest>): AccessRequest {
  const now = new Date().toISOString();
  return {
    id: 'r1',
    user: 'bob',
    roles: ['dba'],
    resources: [],
    reason: '',
    suggestedReviewers: [],
    annotations: {},
    thresholds: [{ approve: 1, deny: 1 }],
    roleThresholds: { dba: [0] },
    state: 'PENDING',
    reviews: [],
    created: now,
    requestExpires: now,
    accessExpires: now,
    approvedRoles: [],
    version: 1,
    ...over,
  };
}

const review = (author: string, state: 'APPROVED' | 'DENIED', thresholdIndexes?: number[]): Review =>
  ({
    author,
    submittedBy: author,
    proposedState: state,
    reason: '',
    roles: [],
    annotations: {},
    created: new Date().toISOString(),
    ...(thresholdIndexes ? { thresholdIndexes } : {}),
  }) as Review;

describe('stillNeeded', () => {
  it('default thresholds: one of either decides', () => {
    expect(stillNeeded(request({}))).toEqual({ approvals: 1, denials: 1 });
  });

  it('two approvals needed: one given leaves one, and the next one approves (as the API decides)', () => {
    const first = request({
      thresholds: [{ approve: 2, deny: 1 }],
      reviews: [review('alice', 'APPROVED', [0])],
    });
    expect(stillNeeded(first)).toEqual({ approvals: 1, denials: 1 });
    expect(decide(first).state).toBe('PENDING');
    const second = { ...first, reviews: [...first.reviews, review('dave', 'APPROVED', [0])] };
    expect(stillNeeded(second).approvals).toBe(0);
    expect(decide(second).state).toBe('APPROVED');
  });

  it('a review that does not meet a threshold filter does not count toward it; the easiest threshold wins', () => {
    const req = request({
      thresholds: [
        { approve: 3, deny: 2, filter: 'contains(reviewer.roles, "dba-lead")' },
        { approve: 2, deny: 3 },
      ],
      roleThresholds: { dba: [0, 1] },
      reviews: [review('alice', 'APPROVED', [1]), review('eve', 'DENIED', [1])],
    });
    expect(stillNeeded(req)).toEqual({ approvals: 1, denials: 2 });
  });

  it('every requested role must be met: the role furthest from its threshold decides', () => {
    const req = request({
      roles: ['dba', 'prod'],
      thresholds: [
        { approve: 1, deny: 1 },
        { approve: 3, deny: 1 },
      ],
      roleThresholds: { dba: [0], prod: [1] },
      reviews: [review('alice', 'APPROVED', [0, 1])],
    });
    expect(stillNeeded(req).approvals).toBe(2);
  });
});
