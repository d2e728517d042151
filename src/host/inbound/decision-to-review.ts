// Turns a platform decision (a click, a ticket transition, a signed webhook call) into a review
// by the mapped access user, submitted through the host identity's `review_as` right.
// The API decides whether that person may review; we only translate its answer into a
// sentence the clicker sees. A double click is refused by the API as ALREADY_REVIEWED.

import { AccessbotError, type ErrorCode } from '../../errors.js';
import {
  type Card,
  cardFromRequest,
  type DecisionOutcome,
  type DecisionOutcomeKind,
  type InboundDecision,
  type Logger,
} from '../../plugin-sdk/index.js';
import type { AccessSource, ReviewInput } from '../source/access-source.js';

const OUTCOME_BY_CODE: Partial<Record<ErrorCode, DecisionOutcomeKind>> = {
  SELF_REVIEW: 'own_request',
  ALREADY_REVIEWED: 'already_reviewed',
  REVIEW_NOT_ALLOWED: 'not_allowed',
  FORBIDDEN: 'not_allowed',
  REQUEST_RESOLVED: 'resolved',
  REQUEST_EXPIRED: 'resolved',
  REQUEST_NOT_FOUND: 'not_found',
  NOT_FOUND: 'not_found',
  USER_NOT_FOUND: 'unknown_user',
};

/** `host.step_up_roles` and where to sign in (`<public_url>/sign-in`, when a page exists). */
export interface StepUp {
  roles: ReadonlySet<string>;
  signInUrl?: string;
}

function sentence(
  kind: DecisionOutcomeKind,
  decision: InboundDecision,
  user?: string,
  signInUrl?: string,
): string {
  const verb = decision.action === 'approve' ? 'approval' : 'denial';
  switch (kind) {
    case 'done':
      return `Your ${verb} of request ${decision.requestId} was recorded as ${user}.`;
    case 'already_reviewed':
      return `You have already reviewed request ${decision.requestId}; nothing changed.`;
    case 'not_allowed':
      return `${user ?? 'You'} may not review request ${decision.requestId}.`;
    case 'own_request':
      return `You cannot review your own request ${decision.requestId}.`;
    case 'resolved':
      return `Request ${decision.requestId} is already resolved; nothing changed.`;
    case 'unknown_user':
      return `${decision.personLabel ?? 'You'} could not be matched to an access user, so no review was recorded.`;
    case 'not_found':
      return `Request ${decision.requestId} does not exist.`;
    case 'too_late':
      return `Your ${verb} of request ${decision.requestId} reached accessbot too late to be trusted (after its replay window), so it was not recorded; please try again.`;
    case 'step_up':
      return signInUrl
        ? `Approving request ${decision.requestId} needs you signed in: open ${signInUrl}, sign in and approve it there. Nothing was recorded.`
        : `Approving request ${decision.requestId} needs you signed in on accessbot's review page, which is not set up (host.public_url); ask an administrator. Nothing was recorded.`;
    default:
      return `Your ${verb} could not be recorded right now; please try again.`;
  }
}

export async function submitDecision(
  client: AccessSource,
  decision: InboundDecision,
  log: Logger,
  cardOf: (requestId: string) => Promise<Card | null>,
  stepUp?: StepUp,
): Promise<DecisionOutcome> {
  const withCard = async (kind: DecisionOutcomeKind, user?: string): Promise<DecisionOutcome> => {
    const card =
      kind === 'not_found' || kind === 'error' ? null : await cardOf(decision.requestId).catch(() => null);
    return { kind, message: sentence(kind, decision, user, stepUp?.signInUrl), ...(card ? { card } : {}) };
  };
  if (pastItsWindow(decision)) return withCard('too_late');
  let user: string;
  try {
    const found = await client.lookupUser(decision.person);
    if (!found) return withCard('unknown_user');
    user = found.name;
  } catch (err) {
    log.error({ err: errSummary(err) }, 'user lookup for a decision failed');
    return withCard('error');
  }
  if (decision.action === 'approve' && !decision.signedIn && stepUp && stepUp.roles.size > 0) {
    let card: Card | null;
    try {
      card = await cardOf(decision.requestId);
    } catch (err) {
      log.error({ err: errSummary(err) }, 'reading a request for a step-up check failed');
      return withCard('error', user);
    }
    // No card: the API answers for the request (not found, resolved) below.
    if (card?.roles.some((role) => stepUp.roles.has(role))) {
      log.info({ requestId: decision.requestId, person: user }, 'approval of a step-up role needs sign-in');
      return withCard('step_up', user);
    }
  }
  const input: ReviewInput = {
    proposedState: decision.action === 'approve' ? 'APPROVED' : 'DENIED',
    author: user,
    ...(decision.reason ? { reason: decision.reason } : {}),
  };
  // The last moment before acting: the lookup may have taken a while.
  if (pastItsWindow(decision)) return withCard('too_late', user);
  try {
    const request = await client.submitReview(decision.requestId, input);
    return { kind: 'done', message: sentence('done', decision, user), card: cardFromRequest(request) };
  } catch (err) {
    const kind = err instanceof AccessbotError ? OUTCOME_BY_CODE[err.code] : undefined;
    if (kind) return withCard(kind, user);
    log.error({ err: errSummary(err), requestId: decision.requestId }, 'submitting a decision failed');
    return withCard('error', user);
  }
}

/** A signed call is never acted on after its replay window, whatever delayed it. */
function pastItsWindow(decision: InboundDecision): boolean {
  return decision.notAfter !== undefined && Date.now() > decision.notAfter;
}

export function errSummary(err: unknown): { message: string; code?: string } {
  if (err instanceof AccessbotError) return { code: err.code, message: err.message };
  return { message: err instanceof Error ? err.message : String(err) };
}
