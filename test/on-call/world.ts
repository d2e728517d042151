// The world of one on-call contract run. Each case has its own requester and its own scope, so
// the cases cannot see each other's shifts: the requester's role names the case's scope in the
// provider's annotation (as an admin would, Teleport style), and the shifts are put on the fake
// before the host starts, so `auto_approval.schedules` can list the allowed schedules by the
// names the provider reports.

import type { UserInput } from '../../src/client/types.js';
import type { OnCallPolicy } from '../../src/config/schema.js';
import { type RoleSpec, worldRolesYaml } from '../support/seed-world.js';
import type { OnCallAdapter, OnCallFake, OnCallPerson } from './adapter.js';

/** One approval decides it. */
export const QUICK_ROLE = 'dba';
/** Two approvals needed: an on-call approval counts as one. */
export const TWO_APPROVALS_ROLE = 'prod-db';
/** Outside `auto_approval.roles`. */
export const UNLISTED_ROLE = 'secrets';
/** The access user on-call approvals are authored as (`review_as`). */
export const REVIEW_AS = 'oncall-bot';
/** Where allowed shifts come from; OTHER_SCHEDULE is outside `auto_approval.schedules`. */
const SCHEDULE = 'Primary rota';
const OTHER_SCHEDULE = 'Weekend rota';

export type CaseName =
  | 'approved'
  | 'levelTwo'
  | 'otherScope'
  | 'otherSchedule'
  | 'notOnCall'
  | 'roleNotAllowed'
  | 'twoApprovals'
  | 'outage'
  | 'lostAlert';

interface CaseSpec {
  role: string;
  /** The shift the requester holds, or none. `elsewhere`: in another scope than the request names. */
  shift?: { level: number; schedule: 'allowed' | 'other'; elsewhere?: boolean };
}

const CASES: Record<CaseName, CaseSpec> = {
  approved: { role: QUICK_ROLE, shift: { level: 1, schedule: 'allowed' } },
  levelTwo: { role: QUICK_ROLE, shift: { level: 2, schedule: 'allowed' } },
  otherScope: { role: QUICK_ROLE, shift: { level: 1, schedule: 'allowed', elsewhere: true } },
  otherSchedule: { role: QUICK_ROLE, shift: { level: 1, schedule: 'other' } },
  notOnCall: { role: QUICK_ROLE },
  roleNotAllowed: { role: UNLISTED_ROLE, shift: { level: 1, schedule: 'allowed' } },
  twoApprovals: { role: TWO_APPROVALS_ROLE, shift: { level: 1, schedule: 'allowed' } },
  outage: { role: QUICK_ROLE, shift: { level: 1, schedule: 'allowed' } },
  lostAlert: { role: QUICK_ROLE, shift: { level: 1, schedule: 'allowed' } },
};

export const CASE_NAMES = Object.keys(CASES) as CaseName[];

/** The access user of a case (`oc-levelTwo` → `oc-leveltwo`). */
export const requesterOf = (name: CaseName) => `oc-${name.toLowerCase()}`;
const personOf = (name: string): OnCallPerson => ({ name, email: `${name}@example.com` });

/** Everyone the fake must know: every case's requester and the review_as user. */
export function onCallPeople(): OnCallPerson[] {
  return [...CASE_NAMES.map(requesterOf), REVIEW_AS].map(personOf);
}

export interface OnCallWorld {
  rolesYaml: string;
  users: UserInput[];
  policy: OnCallPolicy;
}

/** Creates each case's scope and shift on the fake; returns the access world and the policy. */
export function buildWorld(adapter: OnCallAdapter, fake: OnCallFake): OnCallWorld {
  const roles: RoleSpec[] = [];
  const users: UserInput[] = [];
  const allowed = new Set<string>();
  for (const name of CASE_NAMES) {
    const spec = CASES[name];
    const person = personOf(requesterOf(name));
    const scope = fake.addScope(`oncall ${name}`);
    if (spec.shift) {
      const where = spec.shift.elsewhere ? fake.addScope(`oncall ${name} elsewhere`) : scope;
      const schedule = spec.shift.schedule === 'allowed' ? SCHEDULE : OTHER_SCHEDULE;
      const named = fake.putOnCall(person, where, {
        level: adapter.levels ? spec.shift.level : 1,
        schedule: `${schedule} ${name}`,
      });
      if (spec.shift.schedule === 'allowed') allowed.add(named);
    }
    roles.push({
      name: `req-${person.name}`,
      request: {
        roles: [spec.role],
        ...(spec.role === TWO_APPROVALS_ROLE ? { thresholds: [{ approve: 2, deny: 1 }] } : {}),
        annotations: { [fake.scopeAnnotation]: [scope] },
      },
    });
    const traits = fake.traitsFor?.(person);
    users.push({ ...person, roles: [`req-${person.name}`], ...(traits ? { traits } : {}) });
  }
  const reviewable = [QUICK_ROLE, TWO_APPROVALS_ROLE, UNLISTED_ROLE];
  roles.push({ name: 'approver', review: reviewable });
  const bot = personOf(REVIEW_AS);
  const botTraits = fake.traitsFor?.(bot);
  users.push({ ...bot, roles: ['approver'], ...(botTraits ? { traits: botTraits } : {}) });
  return {
    rolesYaml: worldRolesYaml(roles, reviewable),
    users,
    policy: {
      enabled: true,
      max_escalation_level: 1,
      schedules: [...allowed],
      roles: [QUICK_ROLE, 'prod-*'],
    },
  };
}
