// PagerDuty as an on-call provider: the request names services; a person holds a shift in a
// service when an /oncalls entry puts them on the service's escalation policy (at the entry's
// escalation level, through its schedule or by direct assignment). The limits, review_as and
// refusal logging are the host's (src/host/on-call); this file only reports what PagerDuty says.

import type { OnCallAnswer, OnCallProvider, OnCallShift } from '../../src/plugin-sdk/index.js';
import type { PagerDutyClient, PdService } from './client.js';
import type { PagerDutyConfig } from './config.js';

/** Service lookups in flight at once for one decision. */
const LOOKUPS_AT_ONCE = 4;

async function servicesNamed(client: PagerDutyClient, names: string[]): Promise<(PdService | null)[]> {
  const found: (PdService | null)[] = [];
  for (let i = 0; i < names.length; i += LOOKUPS_AT_ONCE)
    found.push(
      ...(await Promise.all(names.slice(i, i + LOOKUPS_AT_ONCE).map((n) => client.findServiceByName(n)))),
    );
  return found;
}

export function pagerDutyOnCall(client: PagerDutyClient, config: PagerDutyConfig): OnCallProvider {
  return {
    label: 'PagerDuty',
    scopeKind: 'service',
    scopeAnnotation: config.services_annotation,

    async shiftsOf({ person, scopes }): Promise<OnCallAnswer> {
      if (!person.email)
        return { person: 'unknown', why: 'no_email', detail: 'the requester has no email address' };
      // The user and the named services are looked up side by side (services a few at a time:
      // two named cost one round trip, fifty do not fire fifty calls into PagerDuty's rate limit).
      const [user, found] = await Promise.all([
        client.findUserByEmail(person.email),
        servicesNamed(client, scopes),
      ]);
      if (!user)
        return {
          person: 'unknown',
          why: 'user_not_found',
          detail: 'the requester has no PagerDuty user with that email',
        };

      // Several named services may share one escalation policy: an entry counts for each.
      const scopesByPolicy = new Map<string, string[]>();
      const unknownScopes: string[] = [];
      for (const [i, name] of scopes.entries()) {
        const service = found[i];
        if (!service) {
          unknownScopes.push(name);
          continue;
        }
        const policyId = service.escalation_policy.id;
        scopesByPolicy.set(policyId, [...(scopesByPolicy.get(policyId) ?? []), name]);
      }
      if (scopesByPolicy.size === 0) return { person: 'found', shifts: [], unknownScopes };

      const entries = await client.listOnCalls(user.id, [...scopesByPolicy.keys()]);
      const shifts: OnCallShift[] = entries
        .filter((e) => e.user?.id === user.id)
        .flatMap((e) =>
          (scopesByPolicy.get(e.escalation_policy?.id) ?? []).map((scope) => ({
            scope,
            level: e.escalation_level,
            schedule: e.schedule
              ? { id: e.schedule.id, ...(e.schedule.summary ? { name: e.schedule.summary } : {}) }
              : null,
          })),
        );
      return { person: 'found', shifts, unknownScopes };
    },

    async unknownSchedules(wanted) {
      const known = await client.listSchedules();
      const ids = new Set(known.map((s) => s.id));
      const names = new Set(known.map((s) => s.name?.toLowerCase()));
      return wanted.filter((w) => !ids.has(w) && !names.has(w.toLowerCase()));
    },
  };
}
