// The platform-neutral card: everything a plugin needs to show a request, and nothing
// platform-specific. Plugins translate it to their markup and escape every user-controlled
// field (requester, reason, review reasons, annotations, resource IDs).

import { stillNeeded } from '../access/thresholds.js';
import type { AccessRequest, RequestState, Review } from '../access/types.js';

export type CardAction = 'approve' | 'deny';

export interface CardReview {
  author: string;
  submittedBy: string;
  decision: 'APPROVED' | 'DENIED';
  reason: string;
  roles: string[];
  created: string;
}

export interface CardResolution {
  state: Exclude<RequestState, 'PENDING'>;
  by?: string;
  reason?: string;
  at?: string;
}

export interface Card {
  requestId: string;
  /** Increases with every change to the request; a renderer skips anything older than what it showed. */
  version: number;
  state: RequestState;
  requester: { name: string; email?: string };
  roles: string[];
  resources: string[];
  reason: string;
  suggestedReviewers: string[];
  annotations: Record<string, string[]>;
  reviews: CardReview[];
  /**
   * Pending only: approvals still needed for the request to be approved, and denials for it to
   * be denied (best effort, for display; the API decides).
   */
  stillNeeded?: { approvals: number; denials: number };
  created: string;
  requestExpires: string;
  accessExpires: string;
  resolution?: CardResolution;
  /** Buttons to show: empty once resolved, and for the requester's own copy. */
  actions: CardAction[];
  /** How to review from the CLI, e.g. `accessbot request review --approve <id>`. */
  cliHint: string;
  links: { label: string; url: string }[];
}

export function reviewToCard(review: Review): CardReview {
  return {
    author: review.author,
    submittedBy: review.submittedBy,
    decision: review.proposedState,
    reason: review.reason,
    roles: review.roles,
    created: review.created,
  };
}

export interface CardOptions {
  requesterEmail?: string;
  /** The requester's own copy carries no buttons: nobody reviews their own request. */
  audience?: 'reviewer' | 'requester';
  links?: { label: string; url: string }[];
}

export function cardFromRequest(request: AccessRequest, opts: CardOptions = {}): Card {
  const pending = request.state === 'PENDING';
  const card: Card = {
    requestId: request.id,
    version: request.version,
    state: request.state,
    requester: { name: request.user, ...(opts.requesterEmail ? { email: opts.requesterEmail } : {}) },
    roles: [...request.roles],
    resources: [...request.resources],
    reason: request.reason,
    suggestedReviewers: [...request.suggestedReviewers],
    annotations: { ...request.annotations },
    reviews: request.reviews.map(reviewToCard),
    created: request.created,
    requestExpires: request.requestExpires,
    accessExpires: request.accessExpires,
    actions: pending && opts.audience !== 'requester' ? ['approve', 'deny'] : [],
    cliHint: `accessbot request review --approve|--deny ${request.id}`,
    links: opts.links ?? [],
  };
  if (pending) card.stillNeeded = stillNeeded(request);
  if (!pending) {
    card.resolution = {
      state: request.state as CardResolution['state'],
      ...(request.resolvedBy ? { by: request.resolvedBy } : {}),
      ...(request.resolveReason ? { reason: request.resolveReason } : {}),
      ...(request.resolvedAt ? { at: request.resolvedAt } : {}),
    };
  }
  return card;
}

/** The status line every plugin shows, so the wording is the same everywhere. */
export const STATUS_LABEL: Record<RequestState, string> = {
  PENDING: '⏳ PENDING',
  APPROVED: '✅ APPROVED',
  DENIED: '❌ DENIED',
  EXPIRED: '⌛ EXPIRED',
};

/** Cuts `text` to at most `max` characters, marking the cut visibly. */
export function truncate(text: string, max: number, marker = '… (truncated)'): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const keep = Math.max(0, max - Array.from(marker).length);
  return chars.slice(0, keep).join('') + marker;
}
