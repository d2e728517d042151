import { describe, expect, it } from 'vitest';
import { expectCode } from '../../test/access/expect-code.js';
import { at, SEED_NOW, seedContext, seedUsers } from '../../test/access/fixtures.js';
import type { NewReviewInput } from './context.js';
import { newAccessRequest } from './request.js';
import {
  applyResolution,
  applyReview,
  canReview,
  EXPIRED_REASON,
  expireIfDue,
  reviewRefusal,
} from './review.js';
import type { AccessRequest, User } from './types.js';

const ctx = seedContext();
const MINUTE = 60_000;
const soon = at(ctx, new Date(SEED_NOW.getTime() + 5 * MINUTE));
const approve = (by: User, extra: Partial<NewReviewInput> = {}): NewReviewInput => ({
  proposedState: 'APPROVED',
  submittedBy: by.name,
  ...extra,
});
const deny = (by: User, extra: Partial<NewReviewInput> = {}): NewReviewInput => ({
  proposedState: 'DENIED',
  submittedBy: by.name,
  ...extra,
});
const dbaRequest = () =>
  newAccessRequest({ id: 'r-dba', user: seedUsers.alice, roles: ['dba'], reason: 'ticket' }, ctx);
const multiRequest = () =>
  newAccessRequest({ id: 'r-multi', user: seedUsers.grace, roles: ['role-1', 'role-2', 'role-3'] }, ctx);

describe('who may review', () => {
  it('approver and admin may review a dba request; the contractor may not', () => {
    const request = dbaRequest();
    expect(canReview(request, seedUsers.bob, soon)).toBe(true);
    expect(canReview(request, seedUsers.ivan, soon)).toBe(true);
    expect(canReview(request, { ...seedUsers.alice, name: 'mallory' }, soon)).toBe(false);
    expectCode(
      () => applyReview(request, { ...seedUsers.alice, name: 'mallory' }, approve(seedUsers.alice), soon),
      'REVIEW_NOT_ALLOWED',
    );
  });

  it('nobody reviews their own request, even a reviewer', () => {
    const own = newAccessRequest({ id: 'r', user: seedUsers.erin, roles: ['dba'], reason: 'r' }, ctx);
    const erinAsReviewer = { ...seedUsers.erin, roles: ['employee', 'approver'] };
    expect(canReview(own, erinAsReviewer, soon)).toBe(false);
    expectCode(() => applyReview(own, erinAsReviewer, approve(erinAsReviewer), soon), 'SELF_REVIEW');
  });

  it('a reviewer must cover every requested role', () => {
    const request = newAccessRequest(
      { id: 'r', user: seedUsers.erin, roles: ['dba', 'role-1'], reason: 'r' },
      ctx,
    );
    const err = expectCode(
      () => applyReview(request, seedUsers.bob, approve(seedUsers.bob), soon),
      'REVIEW_NOT_ALLOWED',
    );
    expect(err.message).toContain('"role-1"');
    expect(err.message).not.toContain('"dba"');
  });

  it('deny.review_requests wins over allow', () => {
    const roles = new Map(ctx.roles);
    roles.set('no-dba-review', {
      kind: 'role',
      metadata: { name: 'no-dba-review' },
      spec: { deny: { review_requests: { roles: ['dba'] } } },
    });
    const c = { ...soon, roles };
    const bobRestricted = { ...seedUsers.bob, roles: ['approver', 'no-dba-review'] };
    expect(canReview(dbaRequest(), bobRestricted, c)).toBe(false);
  });

  it('review_requests.claims_to_roles grants review by trait', () => {
    const roles = new Map(ctx.roles);
    roles.set('sec-team', {
      kind: 'role',
      metadata: { name: 'sec-team' },
      spec: {
        allow: { review_requests: { claims_to_roles: [{ claim: 'team', value: 'security', roles: ['*'] }] } },
      },
    });
    const c = { ...soon, roles };
    const amy = { name: 'amy', roles: ['sec-team'], traits: { team: ['security'] }, createdAt: '' };
    expect(canReview(dbaRequest(), amy, c)).toBe(true);
    expect(canReview(dbaRequest(), { ...amy, traits: { team: ['dev'] } }, c)).toBe(false);
  });
});

describe('applyReview', () => {
  it('one approval approves a default-threshold request, recording who and why', () => {
    const request = dbaRequest();
    const next = applyReview(
      request,
      seedUsers.bob,
      approve(seedUsers.bob, { reason: 'proceed with caution' }),
      soon,
    );
    expect(next.state).toBe('APPROVED');
    expect(next.approvedRoles).toEqual(['dba']);
    expect(next.version).toBe(2);
    expect(next.resolvedBy).toBe('bob');
    expect(next.resolveReason).toBe('proceed with caution');
    expect(next.resolvedAt).toBe(soon.now.toISOString());
    expect(next.reviews).toEqual([
      {
        author: 'bob',
        submittedBy: 'bob',
        proposedState: 'APPROVED',
        reason: 'proceed with caution',
        roles: [],
        annotations: {},
        created: soon.now.toISOString(),
        thresholdIndexes: [0],
      },
    ]);
    // The input is never mutated.
    expect(request.state).toBe('PENDING');
    expect(request.reviews).toEqual([]);
    expect(request.version).toBe(1);
  });

  it('one denial denies', () => {
    const next = applyReview(
      dbaRequest(),
      seedUsers.ivan,
      deny(seedUsers.ivan, { reason: 'Please be more specific' }),
      soon,
    );
    expect(next.state).toBe('DENIED');
    expect(next.approvedRoles).toEqual([]);
    expect(next.resolveReason).toBe('Please be more specific');
  });

  it('a review handed in by a plugin keeps the author and the submitter apart', () => {
    const next = applyReview(
      dbaRequest(),
      seedUsers.bob,
      { proposedState: 'APPROVED', submittedBy: 'plugin:slack' },
      soon,
    );
    expect(next.reviews[0]).toMatchObject({ author: 'bob', submittedBy: 'plugin:slack' });
  });

  it('refuses a second review by the same person, and any review once resolved', () => {
    const tomReq = newAccessRequest({ id: 't', user: seedUsers.tom, roles: ['prod-db'] }, ctx);
    const once = applyReview(tomReq, seedUsers.ruth, approve(seedUsers.ruth), soon);
    expect(once.state).toBe('PENDING');
    expectCode(() => applyReview(once, seedUsers.ruth, approve(seedUsers.ruth), soon), 'ALREADY_REVIEWED');
    const approved = applyReview(dbaRequest(), seedUsers.bob, approve(seedUsers.bob), soon);
    expectCode(() => applyReview(approved, seedUsers.ivan, deny(seedUsers.ivan), soon), 'REQUEST_RESOLVED');
  });

  it('canReview stays true after deciding (visibility); reviewRefusal says why not now', () => {
    const request = dbaRequest();
    expect(reviewRefusal(request, seedUsers.bob, soon)).toBeUndefined();
    const approved = applyReview(request, seedUsers.bob, approve(seedUsers.bob), soon);
    expect(canReview(approved, seedUsers.bob, soon)).toBe(true);
    expect(canReview(approved, seedUsers.ivan, soon)).toBe(true);
    expect(reviewRefusal(approved, seedUsers.ivan, soon)?.code).toBe('REQUEST_RESOLVED');
    const tomReq = newAccessRequest({ id: 't', user: seedUsers.tom, roles: ['prod-db'] }, ctx);
    const once = applyReview(tomReq, seedUsers.ruth, approve(seedUsers.ruth), soon);
    expect(reviewRefusal(once, seedUsers.ruth, soon)?.code).toBe('ALREADY_REVIEWED');
    expect(reviewRefusal(once, seedUsers.tom, soon)?.code).toBe('SELF_REVIEW');
    expect(reviewRefusal(once, seedUsers.bob, soon)?.code).toBe('REVIEW_NOT_ALLOWED');
    const late = at(ctx, new Date(Date.parse(tomReq.requestExpires)));
    expect(reviewRefusal(once, seedUsers.sam, late)?.code).toBe('REQUEST_EXPIRED');
  });

  it('refuses once expired, by state or by clock', () => {
    const request = dbaRequest();
    const afterExpiry = at(ctx, new Date(Date.parse(request.requestExpires)));
    expectCode(
      () => applyReview(request, seedUsers.bob, approve(seedUsers.bob), afterExpiry),
      'REQUEST_EXPIRED',
    );
    const expired = expireIfDue(request, afterExpiry.now)!;
    expectCode(() => applyReview(expired, seedUsers.bob, approve(seedUsers.bob), soon), 'REQUEST_EXPIRED');
  });

  it('refuses roles on a denial, roles outside the request, and an oversized reason', () => {
    const request = multiRequest();
    expectCode(
      () => applyReview(request, seedUsers.henry, deny(seedUsers.henry, { roles: ['role-1'] }), soon),
      'INVALID_REVIEW_ROLES',
    );
    const err = expectCode(
      () =>
        applyReview(
          request,
          seedUsers.henry,
          approve(seedUsers.henry, { roles: ['role-1', 'role-9'] }),
          soon,
        ),
      'INVALID_REVIEW_ROLES',
    );
    expect(err.message).toContain('"role-9"');
    expectCode(
      () =>
        applyReview(request, seedUsers.henry, approve(seedUsers.henry, { reason: 'é'.repeat(2049) }), soon),
      'REASON_TOO_LONG',
    );
  });

  it('refusal order: resolved before self-review before already-reviewed before not-allowed', () => {
    const approved = applyReview(dbaRequest(), seedUsers.bob, approve(seedUsers.bob), soon);
    expectCode(
      () => applyReview(approved, seedUsers.alice, approve(seedUsers.alice), soon),
      'REQUEST_RESOLVED',
    );
    const tomReq = applyReview(
      newAccessRequest({ id: 't', user: seedUsers.tom, roles: ['prod-db'] }, ctx),
      seedUsers.ruth,
      approve(seedUsers.ruth),
      soon,
    );
    expectCode(() => applyReview(tomReq, seedUsers.tom, approve(seedUsers.tom), soon), 'SELF_REVIEW');
    // ruth reviewed already; the oversized reason is not reached.
    expectCode(
      () => applyReview(tomReq, seedUsers.ruth, approve(seedUsers.ruth, { reason: 'x'.repeat(5000) }), soon),
      'ALREADY_REVIEWED',
    );
  });

  it('approving a subset (role-1, role-3) approves exactly that subset', () => {
    const next = applyReview(
      multiRequest(),
      seedUsers.henry,
      approve(seedUsers.henry, { roles: ['role-3', 'role-1'] }),
      soon,
    );
    expect(next.state).toBe('APPROVED');
    expect(next.approvedRoles).toEqual(['role-1', 'role-3']);
    expect(next.reviews[0]!.roles).toEqual(['role-1', 'role-3']);
  });
});

describe('thresholds', () => {
  const tomRequest = () => newAccessRequest({ id: 't', user: seedUsers.tom, roles: ['prod-db'] }, ctx);

  it('two approvals needed: the first leaves it pending, the second approves', () => {
    const first = applyReview(tomRequest(), seedUsers.ruth, approve(seedUsers.ruth), soon);
    expect(first.state).toBe('PENDING');
    expect(first.resolvedBy).toBeUndefined();
    expect(first.version).toBe(2);
    const second = applyReview(first, seedUsers.sam, approve(seedUsers.sam, { reason: 'granted.' }), soon);
    expect(second.state).toBe('APPROVED');
    expect(second.approvedRoles).toEqual(['prod-db']);
    expect(second.resolvedBy).toBe('sam');
    expect(second.resolveReason).toBe('granted.');
    expect(second.version).toBe(3);
  });

  it('one denial denies even after an approval', () => {
    const first = applyReview(tomRequest(), seedUsers.ruth, approve(seedUsers.ruth), soon);
    const denied = applyReview(first, seedUsers.sam, deny(seedUsers.sam), soon);
    expect(denied.state).toBe('DENIED');
    expect(denied.resolvedBy).toBe('sam');
  });

  it('a filtered threshold counts only matching reviewers', () => {
    const request = newAccessRequest({ id: 'f', user: seedUsers.tess, roles: ['prod-db'] }, ctx);
    const byRuth = applyReview(request, seedUsers.ruth, approve(seedUsers.ruth), soon);
    expect(byRuth.state).toBe('PENDING');
    expect(byRuth.reviews[0]!.thresholdIndexes).toEqual([]);
    const bySam = applyReview(byRuth, seedUsers.sam, deny(seedUsers.sam), soon);
    expect(bySam.state).toBe('PENDING'); // sam's denial does not count either
    const bySue = applyReview(bySam, seedUsers.sue, approve(seedUsers.sue), soon);
    expect(bySue.state).toBe('APPROVED');
    expect(bySue.resolvedBy).toBe('sue');
  });

  it('with approve:2, every role any approval covers must reach two approvals', () => {
    const roles = new Map(ctx.roles);
    roles.set('pair-requester', {
      kind: 'role',
      metadata: { name: 'pair-requester' },
      spec: { allow: { request: { roles: ['role-*'], thresholds: [{ approve: 2, deny: 1 }] } } },
    });
    const c = { ...soon, roles };
    const request = newAccessRequest(
      { id: 'p', user: { ...seedUsers.grace, roles: ['pair-requester'] }, roles: ['role-1', 'role-2'] },
      c,
    );
    const henry2 = { ...seedUsers.henry, name: 'henry2' };
    const first = applyReview(request, seedUsers.henry, approve(seedUsers.henry, { roles: ['role-1'] }), c);
    expect(first.state).toBe('PENDING');
    // role-2 has one approval of two: the request waits until every covered role is met.
    const second = applyReview(first, henry2, approve(henry2), c);
    expect(second.state).toBe('PENDING');
    const henry3 = { ...seedUsers.henry, name: 'henry3' };
    const third = applyReview(second, henry3, approve(henry3, { roles: ['role-2'] }), c);
    expect(third.state).toBe('APPROVED');
    expect(third.approvedRoles).toEqual(['role-1', 'role-2']);
  });
});

describe('applyResolution', () => {
  it('an administrator approves a subset with a reason', () => {
    const request = multiRequest();
    const next = applyResolution(
      request,
      {
        state: 'APPROVED',
        roles: ['role-1', 'role-3'],
        reason: 'Approved, but not role-2 right now',
        by: 'ivan',
      },
      soon,
    );
    expect(next).toMatchObject({
      state: 'APPROVED',
      approvedRoles: ['role-1', 'role-3'],
      resolvedBy: 'ivan',
      resolveReason: 'Approved, but not role-2 right now',
      resolvedAt: soon.now.toISOString(),
      version: 2,
    });
    expect(request.state).toBe('PENDING');
  });

  it('a denial with annotations (method=cli)', () => {
    const next = applyResolution(
      multiRequest(),
      {
        state: 'DENIED',
        reason: 'Please be more specific',
        annotations: { method: ['cli'], 'unix-user': ['root'] },
        by: 'ivan',
      },
      soon,
    );
    expect(next.state).toBe('DENIED');
    expect(next.approvedRoles).toEqual([]);
    expect(next.resolveAnnotations).toEqual({ method: ['cli'], 'unix-user': ['root'] });
  });

  it('no roles approves all; roles outside the request are refused; resolved/expired refused', () => {
    expect(applyResolution(multiRequest(), { state: 'APPROVED', by: 'ivan' }, soon).approvedRoles).toEqual([
      'role-1',
      'role-2',
      'role-3',
    ]);
    expectCode(
      () => applyResolution(multiRequest(), { state: 'APPROVED', roles: ['dba'], by: 'ivan' }, soon),
      'INVALID_REVIEW_ROLES',
    );
    const denied = applyResolution(multiRequest(), { state: 'DENIED', by: 'ivan' }, soon);
    expectCode(() => applyResolution(denied, { state: 'APPROVED', by: 'ivan' }, soon), 'REQUEST_RESOLVED');
    const late = at(ctx, new Date(SEED_NOW.getTime() + 2 * 60 * MINUTE));
    expectCode(
      () => applyResolution(multiRequest(), { state: 'APPROVED', by: 'ivan' }, late),
      'REQUEST_EXPIRED',
    );
  });
});

describe('expireIfDue', () => {
  it('expires a pending request at requestExpires, not before', () => {
    const request: AccessRequest = dbaRequest();
    const expiry = Date.parse(request.requestExpires);
    expect(expireIfDue(request, new Date(expiry - 1))).toBeNull();
    const expired = expireIfDue(request, new Date(expiry));
    expect(expired).toMatchObject({
      state: 'EXPIRED',
      version: 2,
      resolvedAt: new Date(expiry).toISOString(),
      resolveReason: EXPIRED_REASON,
    });
    expect(request.state).toBe('PENDING');
  });

  it('leaves resolved requests alone', () => {
    const approved = applyReview(dbaRequest(), seedUsers.bob, approve(seedUsers.bob), soon);
    expect(expireIfDue(approved, new Date(SEED_NOW.getTime() + 365 * 24 * 60 * MINUTE))).toBeNull();
  });
});

describe('input the type system cannot stop at run time', () => {
  it('a proposed state other than APPROVED/DENIED is refused and changes nothing', () => {
    const request = dbaRequest();
    const bogus = { proposedState: 'MAYBE', submittedBy: 'bob' } as unknown as NewReviewInput;
    expectCode(() => applyReview(request, seedUsers.bob, bogus, soon), 'VALIDATION_FAILED');
    expect(request.reviews).toEqual([]);
  });
});

describe('immutability', () => {
  function deepFreeze<T>(value: T): T {
    if (value && typeof value === 'object' && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const inner of Object.values(value)) deepFreeze(inner);
    }
    return value;
  }

  it('reviews, resolutions and expiry work on a deeply frozen request (nothing is mutated in place)', () => {
    const tomReq = deepFreeze(newAccessRequest({ id: 't', user: seedUsers.tom, roles: ['prod-db'] }, ctx));
    const first = deepFreeze(applyReview(tomReq, seedUsers.ruth, approve(seedUsers.ruth), soon));
    const second = applyReview(first, seedUsers.sam, approve(seedUsers.sam), soon);
    expect(second.state).toBe('APPROVED');
    expect(first.reviews).toHaveLength(1);
    expect(applyResolution(first, { state: 'DENIED', by: 'ivan' }, soon).state).toBe('DENIED');
    expect(expireIfDue(first, new Date(Date.parse(first.requestExpires)))?.state).toBe('EXPIRED');
    expect(first.state).toBe('PENDING');
  });
});
