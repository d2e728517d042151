// Questions about one user against the role set: what may they request, must they give a
// reason, and may they act on an API resource (allow/deny.rules).

import { isPermitted, rolesOf } from './conditions.js';
import type { AccessContext, RuleResource, Verb } from './context.js';
import type { User } from './types.js';

/** Existing roles the user may request, sorted; roles the user already holds are left out. */
export function requestableRoles(user: User, ctx: AccessContext): string[] {
  const mine = rolesOf(user, ctx);
  const held = new Set(user.roles);
  const names: string[] = [];
  for (const name of ctx.roles.keys()) {
    if (held.has(name)) continue;
    if (isPermitted(mine, 'request', user, name)) names.push(name);
  }
  return names.sort();
}

/**
 * `request_access: reason` on any of the user's roles makes a reason mandatory (the strictest
 * role wins). `always` only means "request on login" in Teleport, so it does not by itself.
 */
export function reasonRequirement(user: User, ctx: AccessContext): { required: boolean; prompt?: string } {
  const roles = rolesOf(user, ctx);
  const required = roles.some((role) => role.spec.options?.request_access === 'reason');
  const prompt = roles
    .map((role) => role.spec.options?.request_prompt)
    .find((text): text is string => typeof text === 'string' && text.trim() !== '');
  return prompt === undefined ? { required } : { required, prompt };
}

export function hasPermission(user: User, resource: RuleResource, verb: Verb, ctx: AccessContext): boolean {
  const roles = rolesOf(user, ctx);
  const matches = (rules: { resources: string[]; verbs: string[] }[] | undefined) =>
    (rules ?? []).some(
      (rule) =>
        (rule.resources.includes('*') || rule.resources.includes(resource)) &&
        (rule.verbs.includes('*') || rule.verbs.includes(verb)),
    );
  if (roles.some((role) => matches(role.spec.deny?.rules))) return false;
  return roles.some((role) => matches(role.spec.allow?.rules));
}
