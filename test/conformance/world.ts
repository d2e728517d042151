// The access world every conformance run uses: who may ask, who may review, and one person the
// platform knows but the access API does not. Kept apart from the suite so an adapter's own
// tests can name the same people.

import type { UserInput } from '../../src/client/types.js';
import { worldRolesYaml } from '../support/seed-world.js';
import type { ConformanceUser, PlatformFake } from './adapter.js';

/** Role a quick request asks for: one approval or one denial decides it. */
export const QUICK_ROLE = 'dba';
/** Role a slow request asks for: three approvals are needed, so two reviews leave it pending. */
export const SLOW_ROLE = 'prod-db';
export const SLOW_APPROVALS = 3;

export const ROLES_YAML = worldRolesYaml(
  [
    { name: 'requester', request: { roles: [QUICK_ROLE] } },
    {
      name: 'team-requester',
      request: { roles: [SLOW_ROLE], thresholds: [{ approve: SLOW_APPROVALS, deny: 1 }] },
    },
    { name: 'approver', review: [QUICK_ROLE, SLOW_ROLE] },
  ],
  [QUICK_ROLE, SLOW_ROLE],
);

/** The people of the world, by what they are for. */
export const PEOPLE = {
  /** Asks for the quick role. */
  requester: 'rita',
  /** Asks for the slow role. */
  teamRequester: 'tess',
  /** Reviewers (the `approver` role). */
  reviewers: ['alice', 'bob', 'carol'] as const,
  /** An access user who may request but not review. */
  noRights: 'nora',
  /** Known to the platform, unknown to the access API. */
  unmapped: 'ghost',
} as const;

const ACCESS_ROLES: Record<string, string[]> = {
  [PEOPLE.requester]: ['requester'],
  [PEOPLE.teamRequester]: ['team-requester'],
  ...Object.fromEntries(PEOPLE.reviewers.map((name) => [name, ['approver']])),
  [PEOPLE.noRights]: ['requester'],
};

export const emailOf = (name: string) => `${name}@example.com`;

/** Everyone the fake platform must know: the access users and the unmapped person. */
export function platformUsers(): ConformanceUser[] {
  return [...Object.keys(ACCESS_ROLES), PEOPLE.unmapped].map((name) => ({ name, email: emailOf(name) }));
}

/** The access users, with the traits the plugin needs to map them. */
export function accessUsers(fake: PlatformFake): UserInput[] {
  return Object.entries(ACCESS_ROLES).map(([name, roles]) => {
    const traits = fake.traitsFor?.(name);
    return { name, email: emailOf(name), roles, ...(traits ? { traits } : {}) };
  });
}
