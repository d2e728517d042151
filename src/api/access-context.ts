// Builds the model's view of the world for one API call, and the permission guard
// every route uses. Roles are read per call so several API replicas see each other's
// role changes at once.

import { type AccessContext, hasPermission, type RuleResource, type Verb } from '../access/index.js';
import type { User } from '../access/types.js';
import { AccessbotError } from '../errors.js';
import type { Store } from '../store/types.js';

export interface ServiceSettings {
  now: () => Date;
  defaultRequestTtlMs: number;
  maxRequestTtlMs: number;
}

export async function loadAccessContext(store: Store, settings: ServiceSettings): Promise<AccessContext> {
  const roles = await store.listRoles();
  return {
    roles: new Map(roles.map((r) => [r.metadata.name, r])),
    now: settings.now(),
    defaultRequestTtlMs: settings.defaultRequestTtlMs,
    maxRequestTtlMs: settings.maxRequestTtlMs,
  };
}

/** True when the user holds any of the verbs on the resource. */
export function canAny(user: User, resource: RuleResource, verbs: Verb[], ctx: AccessContext): boolean {
  return verbs.some((verb) => hasPermission(user, resource, verb, ctx));
}

export function requirePermission(
  user: User,
  resource: RuleResource,
  verbs: Verb[],
  ctx: AccessContext,
): void {
  if (!canAny(user, resource, verbs, ctx)) {
    throw new AccessbotError('FORBIDDEN', `user ${user.name} lacks ${verbs.join(' or ')} on ${resource}`, {
      resource,
      verbs,
    });
  }
}
