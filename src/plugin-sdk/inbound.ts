// Answers for inbound routes, so every plugin refuses and replies the same way: errors carry
// a stable code from the project's registry, decisions map to one HTTP status each.

import { ERROR_CODES, type ErrorCode } from '../errors.js';
import type { DecisionOutcome, DecisionOutcomeKind, InboundResponse } from './contract.js';

export type { ErrorCode } from '../errors.js';

export function jsonResponse(status: number, body: Record<string, unknown> | unknown[]): InboundResponse {
  return { status, headers: { 'content-type': 'application/json' }, body };
}

/** `{ error: { code, message } }` with the status that belongs to the code. */
export function errorResponse(code: ErrorCode, message: string): InboundResponse {
  return jsonResponse(ERROR_CODES[code], { error: { code, message } });
}

/** HTTP status for a decision's outcome, for plugins whose platform shows it (webhooks). */
export const DECISION_STATUS: Record<DecisionOutcomeKind, number> = {
  done: 200,
  already_reviewed: 409,
  resolved: 409,
  not_allowed: 403,
  own_request: 403,
  unknown_user: 403,
  not_found: 404,
  // The server did not finish in time: the sender may sign the decision again and resend it.
  too_late: 408,
  // Approvals of step-up roles need the reviewer signed in on the review page.
  step_up: 403,
  error: 502,
};

export function decisionResponse(outcome: DecisionOutcome): InboundResponse {
  return jsonResponse(DECISION_STATUS[outcome.kind], {
    outcome: outcome.kind,
    message: outcome.message,
    ...(outcome.card ? { request: outcome.card } : {}),
  });
}
