// Thresholds: which ones a request carries, which a review counts toward, and what state the
// reviews add up to. A review is not a decision; the request changes state when:
//   - any threshold collects its `deny` count of counting denials → DENIED (deny wins), or
//   - every role some approval covers has, through one of its thresholds, `approve` counting
//     approvals covering it → APPROVED for exactly those roles.

import { checkFilter, type FilterSubject, reviewerPasses } from './threshold-filter.js';
import type { AccessRequest, Review, Role, Threshold } from './types.js';

export const DEFAULT_THRESHOLD: Threshold = { approve: 1, deny: 1 };

/**
 * Thresholds in force for a new request. `permitting` maps each requested role to the
 * requester's roles that allow it. Identical thresholds are stored once. A requested role that
 * no permitting role puts a threshold on gets the default (1 approval / 1 denial); a permitting
 * role without thresholds adds nothing, so the stricter rule of another role is not bypassed.
 */
export function collectThresholds(permitting: ReadonlyMap<string, readonly Role[]>): {
  thresholds: Threshold[];
  roleThresholds: Record<string, number[]>;
} {
  const thresholds: Threshold[] = [];
  const indexByKey = new Map<string, number>();
  const indexOf = (threshold: Threshold): number => {
    const normal = normalise(threshold);
    // A bad filter would otherwise surface only at the first review, after people were notified.
    if (normal.filter !== undefined) checkFilter(normal.filter);
    const key = JSON.stringify([normal.approve, normal.deny, normal.filter ?? '']);
    let index = indexByKey.get(key);
    if (index === undefined) {
      index = thresholds.push(normal) - 1;
      indexByKey.set(key, index);
    }
    return index;
  };
  const roleThresholds: Record<string, number[]> = {};
  for (const [requested, roles] of permitting) {
    const own = roles.flatMap((role) => role.spec.allow?.request?.thresholds ?? []);
    const indexes = (own.length > 0 ? own : [DEFAULT_THRESHOLD]).map(indexOf);
    roleThresholds[requested] = [...new Set(indexes)];
  }
  return { thresholds, roleThresholds };
}

/** Indexes of the request's thresholds whose filter this reviewer satisfies. */
export function thresholdsCountedBy(request: AccessRequest, reviewer: FilterSubject): number[] {
  const indexes: number[] = [];
  request.thresholds.forEach((threshold, index) => {
    if (reviewerPasses(threshold.filter, reviewer)) indexes.push(index);
  });
  return indexes;
}

export type Decision =
  | { state: 'PENDING' }
  | { state: 'DENIED' }
  | { state: 'APPROVED'; approvedRoles: string[] };

export function decide(request: AccessRequest): Decision {
  const counts = (review: Review, index: number) =>
    // Reviews stored before threshold indexes existed count toward every unfiltered threshold.
    review.thresholdIndexes ? review.thresholdIndexes.includes(index) : !request.thresholds[index]?.filter;

  const denials = request.reviews.filter((review) => review.proposedState === 'DENIED');
  const denied = request.thresholds.some((threshold, index) => {
    const needed = threshold.deny ?? 1;
    return denials.filter((review) => counts(review, index)).length >= needed;
  });
  if (denied) return { state: 'DENIED' };

  const approvals = request.reviews.filter((review) => review.proposedState === 'APPROVED');
  const coverage = (review: Review) => (review.roles.length > 0 ? review.roles : request.roles);
  const covered = new Set(approvals.flatMap(coverage));
  if (covered.size === 0) return { state: 'PENDING' };

  const allIndexes = request.thresholds.map((_, index) => index);
  const met = (role: string) =>
    (request.roleThresholds[role] ?? allIndexes).some((index) => {
      const needed = request.thresholds[index]?.approve ?? 1;
      const votes = approvals.filter((review) => counts(review, index) && coverage(review).includes(role));
      return votes.length >= needed;
    });
  if (![...covered].every(met)) return { state: 'PENDING' };
  return { state: 'APPROVED', approvedRoles: request.roles.filter((role) => covered.has(role)) };
}

/**
 * Approvals and denials still needed to decide a pending request, read from its thresholds the
 * way the API counts them (a review counts toward the thresholds whose filter its author met;
 * every requested role needs one of its thresholds met). Best effort, for display.
 */
export function stillNeeded(request: AccessRequest): { approvals: number; denials: number } {
  const thresholds = request.thresholds.length > 0 ? request.thresholds : [{ approve: 1, deny: 1 }];
  const all = thresholds.map((_, index) => index);
  const counts = (review: Review, index: number) =>
    review.thresholdIndexes ? review.thresholdIndexes.includes(index) : !thresholds[index]?.filter;
  const approvals = request.reviews.filter((r) => r.proposedState === 'APPROVED');
  const denials = request.reviews.filter((r) => r.proposedState === 'DENIED');
  const left = (needed: number | undefined, votes: number) => Math.max(0, (needed ?? 1) - votes);
  const denialsLeft = Math.min(
    ...all.map((i) => left(thresholds[i]!.deny, denials.filter((r) => counts(r, i)).length)),
  );
  const roles: (string | undefined)[] = request.roles.length > 0 ? request.roles : [undefined];
  const covers = (review: Review, role: string | undefined) =>
    role === undefined || review.roles.length === 0 || review.roles.includes(role);
  const approvalsLeft = Math.max(
    ...roles.map((role) =>
      Math.min(
        ...(role !== undefined && (request.roleThresholds[role]?.length ?? 0) > 0
          ? request.roleThresholds[role]!
          : all
        ).map((i) =>
          left(thresholds[i]?.approve, approvals.filter((r) => counts(r, i) && covers(r, role)).length),
        ),
      ),
    ),
  );
  return { approvals: approvalsLeft, denials: denialsLeft };
}

function normalise(threshold: Threshold): Threshold {
  const normal: Threshold = { approve: threshold.approve ?? 1, deny: threshold.deny ?? 1 };
  if (threshold.name !== undefined) normal.name = threshold.name;
  if (threshold.filter !== undefined && threshold.filter.trim() !== '') normal.filter = threshold.filter;
  return normal;
}
