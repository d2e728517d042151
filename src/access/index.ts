// Public surface of the access model (pure: no I/O, no clock except through `now`).
// The store and API call only these; each throws AccessbotError with a stable code.
//
// CONTRACT NOTE: the signatures below are fixed; implementations live in the sibling files.

import type { AccessRequest, ProposedState, Role, User } from './types.js';

export * from './types.js';

/** What the model needs to know about the world for one decision. */
export interface AccessContext {
  /** Every role known to the API, by name. */
  roles: ReadonlyMap<string, Role>;
  now: Date;
  /** Default pending TTL when the requester gives none (ms). */
  defaultRequestTtlMs: number;
  /** Upper bound of a requested pending TTL (ms). */
  maxRequestTtlMs: number;
}

export interface NewRequestInput {
  id: string;
  user: User;
  roles?: string[];
  resources?: string[];
  reason?: string;
  suggestedReviewers?: string[];
  /** Go-style duration. */
  requestTtl?: string;
}

export interface NewReviewInput {
  proposedState: ProposedState;
  reason?: string;
  roles?: string[];
  annotations?: Record<string, string[]>;
  /** Who handed the review in (the author, or a plugin identity acting for them). */
  submittedBy: string;
}

export interface ResolutionInput {
  state: 'APPROVED' | 'DENIED';
  reason?: string;
  roles?: string[];
  annotations?: Record<string, string[]>;
  /** The administrator who resolved it. */
  by: string;
}

export type Verb = 'list' | 'read' | 'create' | 'update' | 'delete' | 'review_as';
export type RuleResource = 'access_request' | 'user' | 'role' | 'token';

export { formatDuration, parseDuration } from './duration.js';
export * from './limits.js';
export { hasPermission, reasonRequirement, requestableRoles } from './policy.js';
export { newAccessRequest } from './request.js';
export { formatResourceId, type KubeResourceRef, parseResourceId, type ResourceId } from './resource-id.js';
export { applyResolution, applyReview, canReview, expireIfDue, reviewRefusal } from './review.js';
export { parseRolesYaml, type RoleProblem, validateRole } from './role-schema.js';
export { hasVisibleText, neutraliseInvisible } from './visible-text.js';

// Re-exported types for convenience of callers.
export type { AccessRequest, Role, User };
