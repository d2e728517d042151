// One on-call decision for one request: the cheap refusals first (no provider call), then the
// provider's answer judged by the policy. Every refusal is logged with its reason; an error from
// the provider propagates (the delivery worker retries it) and never becomes an approval.

import type { OnCallPolicy } from '../../config/schema.js';
import type { AutoReview, Card, Logger, OnCallProvider, OnCallRequester } from '../../plugin-sdk/index.js';
import { judgeAnswer, type OnCallVerdict, refuse, rolesOutsideLimit } from './policy.js';

/**
 * At most this many named scopes are asked about per request (each may cost the provider a
 * lookup); a request naming more is refused, not cut short, so no scope is silently ignored.
 */
export const MAX_ONCALL_SCOPES = 50;

/** The scopes a request names in the provider's annotation: trimmed, de-duplicated, in order. */
export function scopesOf(card: Card, annotation: string): string[] {
  return [...new Set((card.annotations[annotation] ?? []).map((v) => v.trim()).filter(Boolean))];
}

/**
 * The requester as the access API knows them (email and traits), fetched only once the cheap
 * checks passed.
 */
export type RequesterLookup = () => Promise<OnCallRequester>;

export async function onCallVerdict(
  provider: OnCallProvider,
  policy: OnCallPolicy,
  card: Card,
  requester: RequesterLookup,
): Promise<OnCallVerdict> {
  if (!policy.enabled) return refuse('disabled', 'auto-approval is disabled');
  const scopes = scopesOf(card, provider.scopeAnnotation);
  if (scopes.length === 0)
    return refuse(
      'no_scopes',
      `the request names no ${provider.label} ${provider.scopeKind} (annotation ${provider.scopeAnnotation})`,
    );
  if (scopes.length > MAX_ONCALL_SCOPES)
    return refuse(
      'too_many_scopes',
      `the request names ${scopes.length} ${provider.label} ${provider.scopeKind}s; at most ${MAX_ONCALL_SCOPES} are looked up`,
    );
  const outside = rolesOutsideLimit(card.roles, policy.roles);
  if (outside.length > 0)
    return refuse('role_not_allowed', `roles not allowed for auto-approval: ${outside.join(', ')}`);
  const answer = await provider.shiftsOf({ person: await requester(), scopes });
  const verdict = judgeAnswer(answer, scopes, policy, provider);
  return answer.person === 'found' && answer.unknownScopes.length > 0
    ? { ...verdict, unknownScopes: answer.unknownScopes }
    : verdict;
}

/** The automatic review to submit as the plugin's review_as user, or null (logged with why). */
export async function decideOnCall(
  provider: OnCallProvider,
  policy: OnCallPolicy,
  card: Card,
  requester: RequesterLookup,
  log: Logger,
): Promise<AutoReview | null> {
  const verdict = await onCallVerdict(provider, policy, card, requester);
  const scopes = scopesOf(card, provider.scopeAnnotation);
  if (!verdict.approve) {
    log.info(
      {
        requestId: card.requestId,
        requester: card.requester.name,
        scopes,
        why: verdict.why,
        ...(verdict.unknownScopes ? { unknown_scopes: verdict.unknownScopes } : {}),
      },
      `no on-call auto-approval: ${verdict.detail}`,
    );
    return null;
  }
  log.info(
    {
      requestId: card.requestId,
      requester: card.requester.name,
      scopes: verdict.scopes,
      // Not `level`: that is the log line's own severity field.
      escalation_level: verdict.level,
      ...(verdict.unknownScopes ? { unknown_scopes: verdict.unknownScopes } : {}),
    },
    'on call: auto-approving',
  );
  return { action: 'approve', reason: verdict.reason };
}
