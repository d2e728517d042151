// Creating an access request: validate what was asked against the requester's roles and
// fix, at creation, everything later decisions depend on (thresholds, expiries, annotations).

import { AccessbotError } from '../errors.js';
import { anyRoleDenies, isPermitted, rolePermits, rolesOf } from './conditions.js';
import type { AccessContext, NewRequestInput } from './context.js';
import { parseDuration } from './duration.js';
import { mergeInterpolated } from './interpolate.js';
import { checkKubeRequestRules, kubeRequestRules } from './kube-request-rules.js';
import { MAX_ITEM_BYTES, MAX_REQUESTED_BYTES, MAX_REQUESTED_ITEMS } from './limits.js';
import { reasonRequirement } from './policy.js';
import { checkReasonLength, isBlankReason } from './reason.js';
import { parseResourceId } from './resource-id.js';
import { collectThresholds } from './thresholds.js';
import type { AccessRequest, Role, User } from './types.js';

/** Access lasts this long when a granted role sets no max_session_ttl. */
export const DEFAULT_MAX_SESSION_TTL_MS = 8 * 3_600_000;

export function newAccessRequest(input: NewRequestInput, ctx: AccessContext): AccessRequest {
  const user = input.user;
  const requestedRoles = unique(input.roles ?? []);
  const resources = unique(input.resources ?? []);
  if (requestedRoles.length > 0 && resources.length > 0) {
    throw new AccessbotError(
      'MIXED_ROLES_AND_RESOURCES',
      'a request asks for roles or for resources, not both; create two requests',
    );
  }
  if (requestedRoles.length === 0 && resources.length === 0) {
    throw new AccessbotError('EMPTY_REQUEST', 'a request must name at least one role or one resource');
  }
  checkRequestedSize(resources.length > 0 ? resources : requestedRoles);
  const reason = input.reason ?? '';
  checkReasonLength(reason, 'the request reason');
  const requestTtlMs = pendingTtl(input.requestTtl, ctx);

  const mine = rolesOf(user, ctx);
  const permitting =
    resources.length > 0
      ? checkResources(resources, user, mine, ctx)
      : checkRoles(requestedRoles, user, mine, ctx);
  const roles = [...permitting.keys()];

  const requirement = reasonRequirement(user, ctx);
  if (requirement.required && isBlankReason(reason)) {
    const prompt = requirement.prompt ? `: ${requirement.prompt}` : '';
    throw new AccessbotError('REASON_REQUIRED', `a reason is required for this request${prompt}`, {
      ...(requirement.prompt ? { prompt: requirement.prompt } : {}),
    });
  }

  const annotations: Record<string, string[]> = {};
  for (const role of mine) mergeInterpolated(annotations, role.spec.allow?.request?.annotations, user.traits);
  const suggestedReviewers = unique([
    ...(input.suggestedReviewers ?? []),
    ...mine.flatMap((role) => role.spec.allow?.request?.suggested_reviewers ?? []),
  ]).filter((name) => name.trim() !== '');

  const { thresholds, roleThresholds } = collectThresholds(permitting);
  const now = ctx.now.getTime();
  return {
    id: input.id,
    user: user.name,
    roles,
    resources,
    reason,
    suggestedReviewers,
    annotations,
    thresholds,
    roleThresholds,
    state: 'PENDING',
    reviews: [],
    created: ctx.now.toISOString(),
    requestExpires: new Date(now + requestTtlMs).toISOString(),
    accessExpires: new Date(now + sessionTtl(roles, ctx)).toISOString(),
    approvedRoles: [],
    version: 1,
  };
}

/** Count, and bytes of each and of all: a request must fit a page, a watch event and a chat message. */
function checkRequestedSize(items: string[]): void {
  const what = 'roles or resource IDs';
  if (items.length > MAX_REQUESTED_ITEMS) {
    throw new AccessbotError(
      'REQUEST_TOO_LARGE',
      `the request names ${items.length} ${what}; the limit is ${MAX_REQUESTED_ITEMS}`,
      { count: items.length, limit: MAX_REQUESTED_ITEMS },
    );
  }
  let total = 0;
  for (const item of items) {
    const bytes = Buffer.byteLength(item, 'utf8');
    if (bytes > MAX_ITEM_BYTES) {
      throw new AccessbotError(
        'REQUEST_TOO_LARGE',
        `one of the ${what} is ${bytes} bytes; the limit is ${MAX_ITEM_BYTES}`,
        {
          bytes,
          limit: MAX_ITEM_BYTES,
        },
      );
    }
    total += bytes;
  }
  if (total > MAX_REQUESTED_BYTES) {
    throw new AccessbotError(
      'REQUEST_TOO_LARGE',
      `the ${what} of this request are ${total} bytes together; the limit is ${MAX_REQUESTED_BYTES} bytes (UTF-8)`,
      { bytes: total, limit: MAX_REQUESTED_BYTES },
    );
  }
}

/** Requested role → the requester's roles that allow it (for thresholds). */
function checkRoles(requested: string[], user: User, mine: Role[], ctx: AccessContext): Map<string, Role[]> {
  const held = new Set(user.roles);
  const permitting = new Map<string, Role[]>();
  for (const name of requested) {
    if (!ctx.roles.has(name)) {
      throw new AccessbotError('UNKNOWN_ROLE', `role "${name}" does not exist`, { role: name });
    }
    if (held.has(name)) {
      throw new AccessbotError('ROLE_NOT_REQUESTABLE', `user "${user.name}" already holds role "${name}"`, {
        role: name,
      });
    }
    if (!isPermitted(mine, 'request', user, name)) {
      throw new AccessbotError('ROLE_NOT_REQUESTABLE', `user "${user.name}" may not request role "${name}"`, {
        role: name,
      });
    }
    permitting.set(
      name,
      mine.filter((role) => rolePermits(role, 'request', user, name)),
    );
  }
  return permitting;
}

/** A resource request is granted through the requester's search_as_roles. */
function checkResources(
  resources: string[],
  user: User,
  mine: Role[],
  ctx: AccessContext,
): Map<string, Role[]> {
  const parsed = resources.map((raw) => ({ raw, id: parseResourceId(raw) }));
  const permitting = new Map<string, Role[]>();
  for (const role of mine) {
    for (const name of role.spec.allow?.request?.search_as_roles ?? []) {
      // A search_as role that is missing or denied to this user cannot carry the request.
      if (!ctx.roles.has(name) || anyRoleDenies(mine, 'request', user, name)) continue;
      const list = permitting.get(name) ?? [];
      if (!list.includes(role)) list.push(role);
      permitting.set(name, list);
    }
  }
  if (permitting.size === 0) {
    throw new AccessbotError(
      'RESOURCE_NOT_REQUESTABLE',
      `user "${user.name}" may not request resources: none of their roles sets allow.request.search_as_roles`,
    );
  }
  const rules = kubeRequestRules(mine);
  if (rules) for (const { raw, id } of parsed) checkKubeRequestRules(raw, id, rules);
  return permitting;
}

function pendingTtl(requestTtl: string | undefined, ctx: AccessContext): number {
  if (requestTtl === undefined || requestTtl === '')
    return Math.min(ctx.defaultRequestTtlMs, ctx.maxRequestTtlMs);
  const ms = parseDuration(requestTtl);
  if (ms <= 0) throw new AccessbotError('INVALID_DURATION', `request TTL "${requestTtl}" must be positive`);
  return Math.min(ms, ctx.maxRequestTtlMs);
}

function sessionTtl(roles: string[], ctx: AccessContext): number {
  const ttls = roles.map((name) => {
    const text = ctx.roles.get(name)?.spec.options?.max_session_ttl;
    return text ? parseDuration(text) : DEFAULT_MAX_SESSION_TTL_MS;
  });
  return ttls.length === 0 ? DEFAULT_MAX_SESSION_TTL_MS : Math.min(...ttls);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
