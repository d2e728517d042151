// Teleport's AccessRequestV3 (as the subset proto decodes it) → our AccessRequest, so cards,
// routing and on-call approval see a Teleport request exactly as one from our API: roles,
// resource IDs (`/cluster/kind/name[/sub]`, as tsh prints them), the reason, suggested
// reviewers, thresholds, the reviews, and the roles' request annotations (Teleport's
// SystemAnnotations), which routing and on-call approval read.
//
// Teleport keeps no version number on a request, and the host needs one that only grows. It is
// derived from what can only grow: 1 + reviews + (resolved ? 1 : 0). Every replica computes the
// same number for the same request, so their job ids agree.

import type { AccessRequest, ProposedState, RequestState, Review, Threshold } from '../../../access/types.js';

export interface PbTimestamp {
  seconds?: string | number;
  nanos?: number;
}

interface PbLabelValues {
  Values?: Record<string, { Values?: string[] }>;
}

export interface PbAccessReview {
  Author?: string;
  Roles?: string[];
  ProposedState?: string;
  Reason?: string;
  Created?: PbTimestamp | null;
  Annotations?: PbLabelValues | null;
  ThresholdIndexes?: number[];
}

export interface PbAccessRequest {
  Kind?: string;
  Version?: string;
  Metadata?: { Name?: string; Expires?: PbTimestamp | null } | null;
  Spec?: {
    User?: string;
    Roles?: string[];
    State?: string;
    Created?: PbTimestamp | null;
    Expires?: PbTimestamp | null;
    RequestReason?: string;
    ResolveReason?: string;
    ResolveAnnotations?: PbLabelValues | null;
    SystemAnnotations?: PbLabelValues | null;
    Thresholds?: { Name?: string; Filter?: string; Approve?: number; Deny?: number }[];
    RoleThresholdMapping?: Record<string, { Sets?: { Indexes?: number[] }[] }>;
    Reviews?: PbAccessReview[];
    SuggestedReviewers?: string[];
    RequestedResourceIDs?: { ClusterName?: string; Kind?: string; Name?: string; SubResourceName?: string }[];
    ResourceExpiry?: PbTimestamp | null;
  } | null;
}

export function timestampToIso(ts: PbTimestamp | null | undefined): string | undefined {
  if (!ts) return undefined;
  const seconds = Number(ts.seconds ?? 0);
  if (seconds <= 0) return undefined;
  return new Date(seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}

export function isoToTimestamp(iso: string): PbTimestamp {
  const ms = Date.parse(iso);
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

export function labelValuesToRecord(lv: PbLabelValues | null | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(lv?.Values ?? {})) out[key] = [...(values.Values ?? [])];
  return out;
}

export function recordToLabelValues(record: Record<string, string[]> | undefined): PbLabelValues {
  return {
    Values: Object.fromEntries(Object.entries(record ?? {}).map(([k, v]) => [k, { Values: [...v] }])),
  };
}

function stateOf(pb: string | undefined): RequestState {
  switch (pb) {
    case 'APPROVED':
    case 'PROMOTED':
      return 'APPROVED';
    case 'DENIED':
      return 'DENIED';
    default:
      return 'PENDING';
  }
}

function proposedOf(pb: string | undefined): ProposedState {
  return pb === 'DENIED' ? 'DENIED' : 'APPROVED';
}

export function resourceIdToString(r: {
  ClusterName?: string;
  Kind?: string;
  Name?: string;
  SubResourceName?: string;
}): string {
  const base = `/${r.ClusterName ?? ''}/${r.Kind ?? ''}/${r.Name ?? ''}`;
  return r.SubResourceName ? `${base}/${r.SubResourceName}` : base;
}

/** The version the host sees: it grows with every review and once more at the resolution. */
export function derivedVersion(state: RequestState, reviews: number): number {
  return 1 + reviews + (state === 'PENDING' ? 0 : 1);
}

export function toAccessRequest(pb: PbAccessRequest): AccessRequest {
  const spec = pb.Spec ?? {};
  const state = stateOf(spec.State);
  const created = timestampToIso(spec.Created) ?? new Date(0).toISOString();
  const reviews: Review[] = (spec.Reviews ?? []).map((r) => ({
    author: r.Author ?? '',
    submittedBy: r.Author ?? '',
    proposedState: proposedOf(r.ProposedState),
    reason: r.Reason ?? '',
    roles: [...(r.Roles ?? [])],
    annotations: labelValuesToRecord(r.Annotations),
    created: timestampToIso(r.Created) ?? created,
    thresholdIndexes: [...(r.ThresholdIndexes ?? [])],
  }));
  const thresholds: Threshold[] = (spec.Thresholds ?? []).map((t) => ({
    ...(t.Name ? { name: t.Name } : {}),
    ...(t.Filter ? { filter: t.Filter } : {}),
    approve: t.Approve || 1,
    deny: t.Deny || 1,
  }));
  // Teleport keeps sets of threshold sets per role (every set must pass, any index of a set);
  // the card shows which thresholds bear on a role, so the indexes are listed once each.
  const roleThresholds: Record<string, number[]> = {};
  for (const [role, sets] of Object.entries(spec.RoleThresholdMapping ?? {})) {
    roleThresholds[role] = [...new Set((sets.Sets ?? []).flatMap((s) => s.Indexes ?? []))].sort(
      (a, b) => a - b,
    );
  }
  const requestExpires =
    timestampToIso(spec.ResourceExpiry) ??
    timestampToIso(pb.Metadata?.Expires) ??
    timestampToIso(spec.Expires);
  const deciding =
    state === 'PENDING' ? undefined : [...reviews].reverse().find((r) => r.proposedState === state);
  const roles = [...(spec.Roles ?? [])];
  const resolveAnnotations = labelValuesToRecord(spec.ResolveAnnotations);
  return {
    id: pb.Metadata?.Name ?? '',
    user: spec.User ?? '',
    roles,
    resources: (spec.RequestedResourceIDs ?? []).map(resourceIdToString),
    reason: spec.RequestReason ?? '',
    suggestedReviewers: [...(spec.SuggestedReviewers ?? [])],
    annotations: labelValuesToRecord(spec.SystemAnnotations),
    thresholds: thresholds.length > 0 ? thresholds : [{ approve: 1, deny: 1 }],
    roleThresholds,
    state,
    reviews,
    created,
    requestExpires: requestExpires ?? created,
    accessExpires: timestampToIso(spec.Expires) ?? requestExpires ?? created,
    approvedRoles: state === 'APPROVED' ? roles : [],
    ...(deciding ? { resolvedAt: deciding.created, resolvedBy: deciding.author } : {}),
    ...(spec.ResolveReason ? { resolveReason: spec.ResolveReason } : {}),
    ...(Object.keys(resolveAnnotations).length > 0 ? { resolveAnnotations } : {}),
    version: derivedVersion(state, reviews.length),
  };
}
