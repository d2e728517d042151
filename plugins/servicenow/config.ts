// The servicenow plugin's block under `plugins.servicenow`. Strict, so a misspelt key is an
// error at start rather than a silently missing close code or an unsigned push endpoint.

import { z } from '../../src/plugin-sdk/index.js';

const basicAuth = z
  .object({
    /** A ServiceNow user for accessbot (web service access only) and its password. */
    type: z.literal('basic'),
    username: z.string().min(1),
    password: z.string().min(1),
  })
  .strict();

const oauthAuth = z
  .object({
    /**
     * An OAuth application (System OAuth → Application Registry) allowed the client credentials
     * grant; its tokens act as the application's user.
     */
    type: z.literal('oauth'),
    client_id: z.string().min(1),
    client_secret: z.string().min(1),
  })
  .strict();

const closing = (state: string, closeCode: string) =>
  z
    .object({
      /** Incident `state` value (6 = Resolved, 7 = Closed in a stock instance). */
      state: z.string().min(1).default(state),
      close_code: z.string().min(1).default(closeCode),
      /** Text before the generated close notes (who decided and why). */
      close_notes: z.string().max(1000).default(''),
    })
    .strict()
    .prefault({});

export const serviceNowConfigSchema = z
  .object({
    /** The instance, e.g. https://acme.service-now.com (http only for 127.0.0.1, as tests use). */
    instance_url: z
      .url()
      .refine((u) => u.startsWith('https://') || /^http:\/\/127\.0\.0\.1(:\d+)?(\/|$)/.test(u), {
        message: 'must be https:// (http:// is accepted only for 127.0.0.1)',
      }),
    auth: z.discriminatedUnion('type', [basicAuth, oauthAuth]),
    /** Assignment group of the incidents (name or sys_id); also the default recipient. */
    assignment_group: z.string().min(1).optional(),
    /** Or a person the incidents are assigned to (user_name). */
    assigned_to: z.string().min(1).optional(),
    /** Extra incident fields set on creation (e.g. `{ category: security, urgency: "2" }`). */
    incident_fields: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.string().max(1000)).default({}),
    resolution: z
      .object({
        approved: closing('6', 'Solution provided'),
        expired: closing('6', 'No resolution provided'),
        denied: closing('7', 'No resolution provided'),
      })
      .strict()
      .prefault({}),
    /** How a ServiceNow user and an access user are matched (approvers, on-call people, callers). */
    people: z
      .object({
        /** `email`: by the sys_user email; `user_name`: by the access user's trait below. */
        match: z.enum(['email', 'user_name']).default('email'),
        user_name_trait: z.string().min(1).default('servicenow_user'),
      })
      .strict()
      .prefault({}),
    decisions: z
      .object({
        /**
         * `approvals`: approval records (sysapproval_approver) on the incident, approved or
         * rejected, are reviews by their approver; `state`: moving the incident to one of the
         * two states below is a review by whoever moved it; `none`: ServiceNow decides nothing.
         */
        source: z.enum(['approvals', 'state', 'none']).default('approvals'),
        /** How often to read decisions back (seconds); 0 = only pushed decisions. */
        poll_interval_seconds: z.number().min(0).max(3600).default(30),
        /** For `source: state`. Must differ from the resolution states. */
        approve_state: z.string().min(1).optional(),
        deny_state: z.string().min(1).optional(),
        /** The state an incident is moved back to when a state move decided nothing. */
        pending_state: z.string().min(1).default('2'),
        /**
         * Secret shared with the business rule that pushes changes to /hooks/servicenow/
         * (HMAC-SHA256; `openssl rand -hex 32`). Unset: pushes are refused, polling alone reads
         * decisions.
         */
        push_secret: z.string().min(32, 'at least 32 characters (openssl rand -hex 32)').optional(),
        /**
         * ServiceNow users (user_name) asked for an approval on every pending request's incident
         * (source: approvals), so it waits in their My Approvals. Empty: approvers are added in
         * ServiceNow (by hand or a flow).
         */
        request_approval_from: z.array(z.string().min(1)).max(50).default([]),
        /** How far a push's signed timestamp may be from now (seconds). */
        push_max_age_seconds: z.number().int().min(10).max(3600).default(300),
      })
      .strict()
      .prefault({})
      .refine((d) => d.source !== 'state' || (d.approve_state && d.deny_state), {
        message: 'source: state needs approve_state and deny_state',
      }),
    /** Request annotation naming the on-call rotas (sys_id or name) for on-call approval (`auto_approval`). */
    rotas_annotation: z.string().min(1).default('servicenow_rotas'),
    /** Per-call timeout towards ServiceNow (ms). */
    timeout_ms: z.number().int().min(100).max(120_000).default(15_000),
    // Read by the host, accepted here so the block validates whole.
    enabled: z.boolean().optional(),
    review_as: z.string().min(1).optional(),
  })
  .strict()
  .refine(
    (c) =>
      c.decisions.source !== 'state' ||
      ![c.resolution.approved.state, c.resolution.denied.state, c.resolution.expired.state].some(
        (s) => s === c.decisions.approve_state || s === c.decisions.deny_state,
      ),
    {
      message: 'decisions.approve_state and deny_state must differ from the resolution states',
      path: ['decisions'],
    },
  );

export type ServiceNowConfig = z.infer<typeof serviceNowConfigSchema>;
