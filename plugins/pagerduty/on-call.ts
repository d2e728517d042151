// Auto-approval: is the requester on call, within the configured limits, for one of the
// services the request names? Every "no" carries a reason the operator can read in the log.

import type { PagerDutyClient, PdOnCall, PdService } from './client.js';
import type { AutoApprovalConfig } from './config.js';

export type NoApprovalReason =
  | 'disabled'
  | 'no_services'
  | 'no_email'
  | 'role_not_allowed'
  | 'user_not_found'
  | 'services_not_found'
  | 'not_on_call'
  | 'level_too_high'
  | 'schedule_not_allowed';

export type OnCallVerdict =
  | { approve: true; reason: string; services: string[]; level: number }
  | { approve: false; why: NoApprovalReason; detail: string };

export interface OnCallQuestion {
  email?: string;
  roles: string[];
  serviceNames: string[];
}

const no = (why: NoApprovalReason, detail: string): OnCallVerdict => ({ approve: false, why, detail });

/** `*` is the only wildcard; everything else is literal. */
function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

export function rolesOutsideLimit(roles: string[], allowed: string[] | undefined): string[] {
  if (!allowed) return [];
  const patterns = allowed.map(globToRegExp);
  return roles.filter((role) => !patterns.some((p) => p.test(role)));
}

function scheduleAllowed(entry: PdOnCall, allowed: string[] | undefined): boolean {
  if (!allowed) return true;
  // Direct assignment in a policy level has no schedule: it counts only when no schedules are listed.
  if (!entry.schedule) return false;
  const id = entry.schedule.id;
  const name = entry.schedule.summary?.toLowerCase();
  return allowed.some((a) => a === id || (name !== undefined && a.toLowerCase() === name));
}

/** Pure part: picks the best on-call entry (lowest level) within the limits, or says why none. */
export function judgeOnCalls(
  entries: PdOnCall[],
  userId: string,
  servicesByPolicy: Map<string, PdService[]>,
  limits: AutoApprovalConfig,
): OnCallVerdict {
  const mine = entries.filter((e) => e.user?.id === userId && servicesByPolicy.has(e.escalation_policy?.id));
  if (mine.length === 0)
    return no('not_on_call', 'not on call for any escalation policy of the named services');
  const max = limits.max_escalation_level;
  const lowEnough = mine.filter((e) => max === undefined || e.escalation_level <= max);
  if (lowEnough.length === 0) {
    const best = Math.min(...mine.map((e) => e.escalation_level));
    return no('level_too_high', `on call at escalation level ${best}, above the limit of ${max}`);
  }
  const counted = lowEnough.filter((e) => scheduleAllowed(e, limits.schedules));
  if (counted.length === 0) {
    const via = [
      ...new Set(lowEnough.map((e) => e.schedule?.summary ?? e.schedule?.id ?? 'direct assignment')),
    ];
    return no('schedule_not_allowed', `on call only through ${via.join(', ')}, not an allowed schedule`);
  }
  const best = counted.reduce((a, b) => (b.escalation_level < a.escalation_level ? b : a));
  const services = (servicesByPolicy.get(best.escalation_policy.id) ?? []).map((s) => s.name);
  const through = best.schedule ? ` through schedule ${best.schedule.summary ?? best.schedule.id}` : '';
  return {
    approve: true,
    services,
    level: best.escalation_level,
    reason: `On call in PagerDuty for ${services.join(', ')} (escalation level ${best.escalation_level}${through})`,
  };
}

export async function evaluateOnCall(
  client: PagerDutyClient,
  limits: AutoApprovalConfig,
  q: OnCallQuestion,
): Promise<OnCallVerdict> {
  if (!limits.enabled) return no('disabled', 'auto-approval is disabled');
  if (q.serviceNames.length === 0) return no('no_services', 'the request names no PagerDuty services');
  const outside = rolesOutsideLimit(q.roles, limits.roles);
  if (outside.length > 0)
    return no('role_not_allowed', `roles not allowed for auto-approval: ${outside.join(', ')}`);
  if (!q.email) return no('no_email', 'the requester has no email address');

  const user = await client.findUserByEmail(q.email);
  if (!user) return no('user_not_found', 'the requester has no PagerDuty user with that email');

  const servicesByPolicy = new Map<string, PdService[]>();
  const missing: string[] = [];
  for (const name of q.serviceNames) {
    const service = await client.findServiceByName(name);
    if (!service) {
      missing.push(name);
      continue;
    }
    const policyId = service.escalation_policy.id;
    servicesByPolicy.set(policyId, [...(servicesByPolicy.get(policyId) ?? []), service]);
  }
  if (servicesByPolicy.size === 0) {
    return no('services_not_found', `no PagerDuty service named ${missing.join(', ')}`);
  }
  const entries = await client.listOnCalls(user.id, [...servicesByPolicy.keys()]);
  return judgeOnCalls(entries, user.id, servicesByPolicy, limits);
}
