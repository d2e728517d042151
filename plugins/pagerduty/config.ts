// The `plugins.pagerduty` block. Strict, so a misspelt limit (say `max_escalation_levl`) is an
// error at start rather than a silently unlimited auto-approval.

import { z } from '../../src/plugin-sdk/index.js';

export const autoApprovalSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Highest escalation level that counts (1 = first responders). Unset: any level. */
    max_escalation_level: z.number().int().min(1).optional(),
    /** Schedules (ids or names) through which being on call counts. Unset: any, including direct assignment. */
    schedules: z.array(z.string().min(1)).min(1).optional(),
    /** Requested roles that may be auto-approved (literal names or `*` globs). Unset: any. */
    roles: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

export const pagerDutyConfigSchema = z
  .object({
    /** REST API key (account or user token). */
    api_key: z.string().min(1),
    /** Email of a PagerDuty user; PagerDuty requires it in the `From` header of every write. */
    from_email: z.email(),
    /** `https://api.eu.pagerduty.com` for EU accounts. */
    base_url: z.url().default('https://api.pagerduty.com'),
    /** Request annotation naming the service(s) to open incidents on. */
    notify_service_annotation: z.string().min(1).default('pagerduty_notify_service'),
    /** Request annotation naming the services whose on-call people are auto-approved. */
    services_annotation: z.string().min(1).default('pagerduty_services'),
    /** Incident urgency for access request incidents. */
    urgency: z.enum(['high', 'low']).default('high'),
    /** Per-call timeout towards PagerDuty (ms). */
    timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
    auto_approval: autoApprovalSchema.prefault({}),
    // Read by the host, accepted here so the block validates whole.
    enabled: z.boolean().optional(),
    review_as: z.string().min(1).optional(),
  })
  .strict();

export type PagerDutyConfig = z.infer<typeof pagerDutyConfigSchema>;
export type AutoApprovalConfig = z.infer<typeof autoApprovalSchema>;
