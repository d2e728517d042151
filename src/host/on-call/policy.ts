// The on-call policy, pure: given what a provider answered, does the requester count as on call
// within `auto_approval`'s limits? Written once for every provider; every "no" carries a reason
// an operator can read in the log.

import type { OnCallPolicy } from '../../config/schema.js';
import type { OnCallAnswer, OnCallProvider, OnCallShift } from '../../plugin-sdk/index.js';

export type NoApprovalReason =
  | 'disabled'
  | 'no_scopes'
  | 'too_many_scopes'
  | 'role_not_allowed'
  | 'no_email'
  | 'no_identity'
  | 'user_not_found'
  | 'scopes_not_found'
  | 'not_on_call'
  | 'level_too_high'
  | 'schedule_not_allowed';

export type OnCallVerdict = (
  | { approve: true; reason: string; scopes: string[]; level: number }
  | { approve: false; why: NoApprovalReason; detail: string }
) & {
  /** Named scopes the provider does not know (a typo in a role's annotation), for the log. */
  unknownScopes?: string[];
};

export const refuse = (why: NoApprovalReason, detail: string): OnCallVerdict => ({
  approve: false,
  why,
  detail,
});

/** `*` is the only wildcard; everything else is literal. */
function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** The requested roles that no `allowed` glob matches ([] when unlimited). */
export function rolesOutsideLimit(roles: string[], allowed: string[] | undefined): string[] {
  if (!allowed) return [];
  const patterns = allowed.map(globToRegExp);
  return roles.filter((role) => !patterns.some((p) => p.test(role)));
}

/** A schedule counts when its id, or its name case-insensitively, is listed. */
function scheduleAllowed(shift: OnCallShift, allowed: string[] | undefined): boolean {
  if (!allowed) return true;
  // A direct assignment has no schedule: it counts only when no schedules are listed.
  if (!shift.schedule) return false;
  const { id } = shift.schedule;
  const name = shift.schedule.name?.toLowerCase();
  return allowed.some((a) => a === id || (name !== undefined && a.toLowerCase() === name));
}

const viaOf = (shift: OnCallShift) => shift.schedule?.name ?? shift.schedule?.id ?? 'direct assignment';

/** Picks the best shift (lowest level) within the limits, or says why none counts. */
export function judgeAnswer(
  answer: OnCallAnswer,
  asked: string[],
  policy: OnCallPolicy,
  provider: Pick<OnCallProvider, 'label' | 'scopeKind'>,
): OnCallVerdict {
  if (answer.person === 'unknown') return refuse(answer.why, answer.detail);
  const { shifts, unknownScopes } = answer;
  if (shifts.length === 0) {
    const unknown = new Set(unknownScopes);
    if (asked.every((scope) => unknown.has(scope)))
      return refuse(
        'scopes_not_found',
        `no ${provider.label} ${provider.scopeKind} named ${unknownScopes.join(', ')}`,
      );
    return refuse(
      'not_on_call',
      `not on call in ${provider.label} for any ${provider.scopeKind} the request names`,
    );
  }
  const max = policy.max_escalation_level;
  const lowEnough = shifts.filter((s) => max === undefined || s.level <= max);
  if (lowEnough.length === 0) {
    const best = Math.min(...shifts.map((s) => s.level));
    return refuse('level_too_high', `on call at escalation level ${best}, above the limit of ${max}`);
  }
  const counted = lowEnough.filter((s) => scheduleAllowed(s, policy.schedules));
  if (counted.length === 0) {
    const via = [...new Set(lowEnough.map(viaOf))];
    return refuse('schedule_not_allowed', `on call only through ${via.join(', ')}, not an allowed schedule`);
  }
  const best = counted.reduce((a, b) => (b.level < a.level ? b : a));
  // Every scope held at the same level through the same schedule (PagerDuty: services sharing a policy).
  const same = (s: OnCallShift) => s.level === best.level && s.schedule?.id === best.schedule?.id;
  const scopes = [...new Set(counted.filter(same).map((s) => s.scope))];
  const through = best.schedule ? ` through schedule ${best.schedule.name ?? best.schedule.id}` : '';
  return {
    approve: true,
    scopes,
    level: best.level,
    reason: `On call in ${provider.label} for ${scopes.join(', ')} (escalation level ${best.level}${through})`,
  };
}
