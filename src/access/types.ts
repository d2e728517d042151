// The access model's data types. Plain JSON-serialisable shapes: the store keeps them,
// the API sends them, the watch stream carries them whole.

export type RequestState = 'PENDING' | 'APPROVED' | 'DENIED' | 'EXPIRED';
export type ProposedState = 'APPROVED' | 'DENIED';
export const RESOLVED_STATES: readonly RequestState[] = ['APPROVED', 'DENIED', 'EXPIRED'];

/** Traits are multi-valued, as identity providers hand them over (`groups: [admins, devs]`). */
export type Traits = Record<string, string[]>;

export interface User {
  name: string;
  email?: string;
  roles: string[];
  traits: Traits;
  createdAt: string;
}

/** Resource/verb rule, as in Teleport's `allow.rules`. Resources: access_request, user, role, token. */
export interface Rule {
  resources: string[];
  verbs: string[];
}

export interface ClaimMapping {
  claim: string;
  value: string;
  roles: string[];
}

export interface Threshold {
  name?: string;
  /** Approvals needed (default 1). */
  approve?: number;
  /** Denials needed (default 1). */
  deny?: number;
  /** Predicate over the reviewer, e.g. `contains(reviewer.roles, "super-approver")`. */
  filter?: string;
}

export interface KubernetesResourceRule {
  kind: string;
  api_group?: string;
  namespace?: string;
  name?: string;
}

export interface RequestConditions {
  roles?: string[];
  claims_to_roles?: ClaimMapping[];
  annotations?: Record<string, string[]>;
  thresholds?: Threshold[];
  suggested_reviewers?: string[];
  /** Roles a resource request is granted through (Teleport's search_as_roles). */
  search_as_roles?: string[];
  kubernetes_resources?: KubernetesResourceRule[];
}

export interface ReviewConditions {
  roles?: string[];
  claims_to_roles?: ClaimMapping[];
}

export interface RoleConditions {
  request?: RequestConditions;
  review_requests?: ReviewConditions;
  rules?: Rule[];
  [other: string]: unknown;
}

export interface RoleOptions {
  request_access?: 'optional' | 'reason' | 'always';
  request_prompt?: string;
  /** Go-style duration: `1h`, `30m`, `8h30m`. */
  max_session_ttl?: string;
  [other: string]: unknown;
}

export interface Role {
  kind: 'role';
  version?: string;
  metadata: { name: string; description?: string; labels?: Record<string, string> };
  spec: { allow?: RoleConditions; deny?: RoleConditions; options?: RoleOptions };
}

export interface Review {
  /** The access user whose review this is. */
  author: string;
  /** Who handed it to the API: the author, or a plugin identity acting for them. */
  submittedBy: string;
  proposedState: ProposedState;
  reason: string;
  /** Approve only: the subset of the requested roles this reviewer approves. Empty = all. */
  roles: string[];
  annotations: Record<string, string[]>;
  created: string;
  /**
   * Indexes into the request's `thresholds` this review counts toward, fixed when it was
   * submitted (the reviewer's roles and traits may change later). Set by the model.
   */
  thresholdIndexes?: number[];
}

export interface AccessRequest {
  id: string;
  user: string;
  /** Requested roles, or for a resource request the roles it is granted through. */
  roles: string[];
  /** Requested resource IDs; empty for a role request. */
  resources: string[];
  reason: string;
  suggestedReviewers: string[];
  annotations: Record<string, string[]>;
  /** Thresholds in force, fixed at creation from the requester's roles. */
  thresholds: Threshold[];
  /** For each requested role, the indexes into `thresholds` that can approve it. */
  roleThresholds: Record<string, number[]>;
  state: RequestState;
  reviews: Review[];
  created: string;
  /** When a still-pending request expires. */
  requestExpires: string;
  /** When granted access would end (from max_session_ttl). */
  accessExpires: string;
  /** Roles actually granted once approved (may be a subset of `roles`). */
  approvedRoles: string[];
  resolvedAt?: string;
  resolvedBy?: string;
  resolveReason?: string;
  resolveAnnotations?: Record<string, string[]>;
  /** Bumped on every change; lets readers skip stale renders. */
  version: number;
}

export interface RequestEvent {
  seq: number;
  type: 'put' | 'delete';
  /** The whole request after the change (for `delete`, the request as it was). */
  request: AccessRequest;
  at: string;
}
