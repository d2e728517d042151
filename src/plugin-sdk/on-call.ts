// The on-call provider contract: what a plugin answers so the host can auto-approve whoever is
// on call. The provider only reports facts ("this person holds these shifts now"); the policy
// (enabled, max escalation level, allowed schedules, allowed roles, the review_as user) is the
// host's, written once for every provider and configured under `plugins.<id>.auto_approval`.
//
// Errors: a provider never answers "not on call" when it could not find out. Every failure is
// a thrown PluginError (errors.ts), so the host's retry classifier retries it and no approval
// is ever made on an error:
//   5xx, network, timeout, a non-JSON 200  → transient(...)
//   429                                     → rateLimited(..., retryAfterMs) (errorFromHttpStatus does this)
//   401/403                                 → authFailed(...)
//   other 4xx that no retry can fix         → permanent(...)
// A scope (service, schedule, rota) or a person the provider does not know is not an error:
// it is part of the answer (`unknownScopes`, `person: 'unknown'`).

/**
 * The requester as the access API knows them (the same shape as contract.ts's PersonInfo,
 * spelt out here because contract.ts imports this file).
 */
export interface OnCallRequester {
  name: string;
  email?: string;
  /** Map provider ids through a trait (JSM Ops: an Atlassian account id), since emails may be hidden. */
  traits: Record<string, string[]>;
}

/** What the host asks a provider, once per request. */
export interface OnCallQuestion {
  person: OnCallRequester;
  /**
   * The named scopes (services, schedules, rotas: whatever the provider's annotation names),
   * from the request's `scopeAnnotation`, trimmed, de-duplicated, in request order. Never empty.
   */
  scopes: string[];
}

/** A schedule (rota, layer) through which a person is on call. */
export interface OnCallSchedule {
  id: string;
  /** Its display name, when the provider has one; `auto_approval.schedules` matches id or name. */
  name?: string;
}

/** One shift the person holds right now. */
export interface OnCallShift {
  /** The asked scope this shift counts for, exactly as it appears in `OnCallQuestion.scopes`. */
  scope: string;
  /** 1 = first responders. Providers without escalation levels say 1. */
  level: number;
  /** Through which schedule; null when directly assigned (e.g. a PagerDuty policy level naming a user). */
  schedule: OnCallSchedule | null;
}

export type OnCallAnswer =
  | {
      /** The person has no account on the provider the plugin can find. */
      person: 'unknown';
      /** `no_email` / `no_identity`: the requester lacks the email or trait the provider needs. */
      why: 'no_email' | 'no_identity' | 'user_not_found';
      /** One plain sentence for the log, e.g. `the requester has no PagerDuty user with that email`. */
      detail: string;
    }
  | {
      person: 'found';
      /** Every shift the person holds now in the known scopes (any level, any schedule); [] = none. */
      shifts: OnCallShift[];
      /** Asked scopes the provider could not find (by name or id), as asked. */
      unknownScopes: string[];
    };

/**
 * A plugin that offers on-call auto-approval sets `onCall` on its instance and
 * `traits.onCall: true` on its definition (so the config loader accepts `auto_approval` in its
 * block before any instance exists).
 */
export interface OnCallProvider {
  /** The provider's name in reasons and logs: `PagerDuty`, `JSM Operations`, `Opsgenie`, `ServiceNow`. */
  label: string;
  /** What one scope is, singular, for messages: `service`, `schedule`, `rota`. */
  scopeKind: string;
  /**
   * The request annotation whose values name the scopes (a plugin config key, e.g. PagerDuty's
   * `services_annotation`, default `pagerduty_services`).
   */
  scopeAnnotation: string;
  /** Which shifts the person holds now in the named scopes. Read-only; throws PluginError (above). */
  shiftsOf(question: OnCallQuestion): Promise<OnCallAnswer>;
  /**
   * Optional, for `accessbot config check --online` and `/readyz`: of these schedule ids or
   * names (the block's `auto_approval.schedules`), the ones the provider does not know.
   */
  unknownSchedules?(schedules: string[]): Promise<string[]>;
}
