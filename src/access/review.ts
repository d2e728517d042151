// Reviews and resolutions. Every function returns a new request (the input is never mutated)
// with `version` bumped, so the store can compare-and-set on the version it read.

import { AccessbotError } from '../errors.js';
import { isPermitted, rolesOf } from './conditions.js';
import type { AccessContext, NewReviewInput, ResolutionInput } from './context.js';
import { MAX_REVIEW_ANNOTATION_BYTES } from './limits.js';
import { checkReasonLength } from './reason.js';
import { decide, thresholdsCountedBy } from './thresholds.js';
import type { AccessRequest, Review, User } from './types.js';

export const EXPIRED_REASON = 'request expired before a decision';

/**
 * Whether `reviewer` is a reviewer of this request: not its requester, and allowed to review
 * every role it asks for. Deliberately blind to state and earlier reviews, so a reviewer keeps
 * seeing a request after deciding it; `reviewRefusal` answers "could they review right now".
 */
export function canReview(request: AccessRequest, reviewer: User, ctx: AccessContext): boolean {
  if (reviewer.name === request.user) return false;
  return unreviewableRoles(request, reviewer, ctx).length === 0;
}

/** The error applyReview would raise for this reviewer now (before looking at the review itself). */
export function reviewRefusal(
  request: AccessRequest,
  reviewer: User,
  ctx: AccessContext,
): AccessbotError | undefined {
  try {
    checkReviewable(request, reviewer, ctx);
    return undefined;
  } catch (err) {
    if (err instanceof AccessbotError && err.code !== 'INVALID_ROLE') return err;
    throw err;
  }
}

export function applyReview(
  request: AccessRequest,
  reviewer: User,
  input: NewReviewInput,
  ctx: AccessContext,
): AccessRequest {
  checkReviewable(request, reviewer, ctx);
  checkProposedState(input.proposedState);
  const roles = checkedRoles(request, input.proposedState, input.roles);
  const reason = input.reason ?? '';
  checkReasonLength(reason, 'the review reason');
  checkAnnotationSize(input.annotations, 'the review annotations');

  const review: Review = {
    author: reviewer.name,
    submittedBy: input.submittedBy,
    proposedState: input.proposedState,
    reason,
    roles,
    annotations: structuredClone(input.annotations ?? {}),
    created: ctx.now.toISOString(),
    thresholdIndexes: thresholdsCountedBy(request, reviewer),
  };
  const next: AccessRequest = {
    ...structuredClone(request),
    reviews: [...structuredClone(request.reviews), review],
    version: request.version + 1,
  };
  const decision = decide(next);
  if (decision.state === 'PENDING') return next;
  return {
    ...next,
    state: decision.state,
    approvedRoles: decision.state === 'APPROVED' ? decision.approvedRoles : [],
    resolvedAt: review.created,
    resolvedBy: review.author,
    resolveReason: review.reason,
  };
}

/** Administrative approve/deny (`tctl request approve|deny`): no thresholds, no review. */
export function applyResolution(
  request: AccessRequest,
  input: ResolutionInput,
  ctx: AccessContext,
): AccessRequest {
  checkOpen(request, ctx.now);
  checkProposedState(input.state);
  const roles = checkedRoles(request, input.state, input.roles);
  const reason = input.reason ?? '';
  checkReasonLength(reason, 'the resolution reason');
  checkAnnotationSize(input.annotations, 'the resolution annotations');
  const approved = input.state === 'APPROVED' ? (roles.length > 0 ? roles : [...request.roles]) : [];
  return {
    ...structuredClone(request),
    state: input.state,
    approvedRoles: request.roles.filter((role) => approved.includes(role)),
    resolvedAt: ctx.now.toISOString(),
    resolvedBy: input.by,
    resolveReason: reason,
    resolveAnnotations: structuredClone(input.annotations ?? {}),
    version: request.version + 1,
  };
}

function checkAnnotationSize(annotations: Record<string, string[]> | undefined, what: string): void {
  if (!annotations) return;
  const bytes = Buffer.byteLength(JSON.stringify(annotations), 'utf8');
  if (bytes > MAX_REVIEW_ANNOTATION_BYTES) {
    throw new AccessbotError(
      'REQUEST_TOO_LARGE',
      `${what} are ${bytes} bytes (as JSON); the limit is ${MAX_REVIEW_ANNOTATION_BYTES} bytes`,
      { bytes, limit: MAX_REVIEW_ANNOTATION_BYTES },
    );
  }
}

/**
 * The request expired, or null when it is not due. A shallow copy: only top-level fields change,
 * and every model function clones before it changes nested data, so sharing the rest is safe;
 * the sweeper runs this thousands of times a second, where a deep clone was a quarter of its CPU.
 */
export function expireIfDue(request: AccessRequest, now: Date): AccessRequest | null {
  if (request.state !== 'PENDING' || now.getTime() < Date.parse(request.requestExpires)) return null;
  return {
    ...request,
    state: 'EXPIRED',
    resolvedAt: now.toISOString(),
    resolveReason: EXPIRED_REASON,
    version: request.version + 1,
  };
}

function checkReviewable(request: AccessRequest, reviewer: User, ctx: AccessContext): void {
  checkOpen(request, ctx.now);
  if (reviewer.name === request.user) {
    throw new AccessbotError('SELF_REVIEW', `user "${reviewer.name}" cannot review their own request`);
  }
  if (request.reviews.some((review) => review.author === reviewer.name)) {
    throw new AccessbotError('ALREADY_REVIEWED', `user "${reviewer.name}" has already reviewed this request`);
  }
  // A reviewer must be allowed to review every role the request would grant: approving a
  // request is approving all of it unless the review narrows it.
  const refused = unreviewableRoles(request, reviewer, ctx);
  if (refused.length > 0) {
    throw new AccessbotError(
      'REVIEW_NOT_ALLOWED',
      `user "${reviewer.name}" may not review requests for role${refused.length > 1 ? 's' : ''} ${refused
        .map((role) => `"${role}"`)
        .join(', ')}`,
      { roles: refused },
    );
  }
}

function unreviewableRoles(request: AccessRequest, reviewer: User, ctx: AccessContext): string[] {
  const mine = rolesOf(reviewer, ctx);
  return request.roles.filter((role) => !isPermitted(mine, 'review_requests', reviewer, role));
}

function checkOpen(request: AccessRequest, now: Date): void {
  if (request.state === 'EXPIRED') {
    throw new AccessbotError('REQUEST_EXPIRED', `request ${request.id} expired before a decision`);
  }
  if (request.state !== 'PENDING') {
    throw new AccessbotError('REQUEST_RESOLVED', `request ${request.id} is already ${request.state}`, {
      state: request.state,
    });
  }
  if (now.getTime() >= Date.parse(request.requestExpires)) {
    throw new AccessbotError('REQUEST_EXPIRED', `request ${request.id} expired at ${request.requestExpires}`);
  }
}

// Callers validate their input, but a state outside the two would silently count as nothing.
function checkProposedState(state: unknown): void {
  if (state !== 'APPROVED' && state !== 'DENIED') {
    throw new AccessbotError(
      'VALIDATION_FAILED',
      `a review proposes APPROVED or DENIED, not ${JSON.stringify(state)}`,
    );
  }
}

/** Roles narrow an approval only; they must be requested roles. Empty means all. */
function checkedRoles(
  request: AccessRequest,
  state: 'APPROVED' | 'DENIED',
  roles: string[] | undefined,
): string[] {
  const wanted = [...new Set(roles ?? [])];
  if (wanted.length === 0) return [];
  if (state !== 'APPROVED') {
    throw new AccessbotError('INVALID_REVIEW_ROLES', 'roles can only be given when approving');
  }
  const unknown = wanted.filter((role) => !request.roles.includes(role));
  if (unknown.length > 0) {
    throw new AccessbotError(
      'INVALID_REVIEW_ROLES',
      `role${unknown.length > 1 ? 's' : ''} ${unknown.map((r) => `"${r}"`).join(', ')} ` +
        `not in the request (requested: ${request.roles.join(', ')})`,
      { roles: unknown, requested: request.roles },
    );
  }
  return request.roles.filter((role) => wanted.includes(role));
}
