// What the access model is given: the world for one decision, and the inputs of new requests,
// reviews and resolutions. Its own file so the model's files import it without importing the
// public surface (index.ts), which imports them.

import type { ProposedState, Role, User } from './types.js';

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
