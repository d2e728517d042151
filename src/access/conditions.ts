// Reading a user's roles for one question: "may this user request / review role R?".
// Both questions have the same shape in Teleport: allow = matchers ∪ claims_to_roles,
// and any deny on any of the user's roles wins.

import type { AccessContext } from './context.js';
import { asInvalidRole, matchesAny } from './matcher.js';
import type { ClaimMapping, Role, RoleConditions, Traits, User } from './types.js';

export type Purpose = 'request' | 'review_requests';

/** The user's roles that exist; a name that no longer resolves grants nothing. */
export function rolesOf(user: Pick<User, 'roles'>, ctx: Pick<AccessContext, 'roles'>): Role[] {
  const roles: Role[] = [];
  for (const name of new Set(user.roles)) {
    const role = ctx.roles.get(name);
    if (role) roles.push(role);
  }
  return roles;
}

/** Does this one role's allow block let `user` request (or review) `target`? */
export function rolePermits(
  role: Role,
  purpose: Purpose,
  user: Pick<User, 'traits'>,
  target: string,
): boolean {
  return conditionsMatch(role, role.spec.allow, purpose, user.traits, target, 'allow');
}

/** Does any of the roles deny `target` for this purpose? */
export function anyRoleDenies(
  roles: readonly Role[],
  purpose: Purpose,
  user: Pick<User, 'traits'>,
  target: string,
): boolean {
  return roles.some((role) => conditionsMatch(role, role.spec.deny, purpose, user.traits, target, 'deny'));
}

/** allowed by some role and denied by none */
export function isPermitted(
  roles: readonly Role[],
  purpose: Purpose,
  user: Pick<User, 'traits'>,
  target: string,
): boolean {
  return (
    roles.some((role) => rolePermits(role, purpose, user, target)) &&
    !anyRoleDenies(roles, purpose, user, target)
  );
}

function conditionsMatch(
  role: Role,
  block: RoleConditions | undefined,
  purpose: Purpose,
  traits: Traits,
  target: string,
  side: 'allow' | 'deny',
): boolean {
  const section = block?.[purpose];
  if (!section) return false;
  const where = `role "${role.metadata.name}" spec.${side}.${purpose}`;
  try {
    if (matchesAny(section.roles, target)) return true;
    return (section.claims_to_roles ?? []).some((mapping) => claimGrants(mapping, traits, target));
  } catch (err) {
    throw asInvalidRole(err, where);
  }
}

function claimGrants(mapping: ClaimMapping, traits: Traits, target: string): boolean {
  const values = Object.hasOwn(traits, mapping.claim) ? (traits[mapping.claim] ?? []) : [];
  if (!values.some((value) => matchesAny([mapping.value], value))) return false;
  return matchesAny(mapping.roles, target);
}
