// Public surface of the access model (pure: no I/O, no clock except through `now`).
// The store and API call only these; each throws AccessbotError with a stable code.
//
// CONTRACT NOTE: the signatures below are fixed; implementations live in the sibling files,
// and what they are given (context, inputs) in context.ts, so no sibling imports this file.

import type { AccessRequest, Role, User } from './types.js';

export type {
  AccessContext,
  NewRequestInput,
  NewReviewInput,
  ResolutionInput,
  RuleResource,
  Verb,
} from './context.js';
export { formatDuration, parseDuration } from './duration.js';
export * from './limits.js';
export { hasPermission, reasonRequirement, requestableRoles } from './policy.js';
export { newAccessRequest } from './request.js';
export { formatResourceId, type KubeResourceRef, parseResourceId, type ResourceId } from './resource-id.js';
export { applyResolution, applyReview, canReview, expireIfDue, reviewRefusal } from './review.js';
export { parseRolesYaml, type RoleProblem, validateRole } from './role-schema.js';
export * from './types.js';
export { hasVisibleText, neutraliseInvisible } from './visible-text.js';

// Re-exported types for convenience of callers.
export type { AccessRequest, Role, User };
