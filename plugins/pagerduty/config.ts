// The `plugins.pagerduty` block. Strict, so a misspelt key is an error at start. Its
// `auto_approval` limits are read and validated by the host (traits.onCall), like every
// on-call provider's.

import { z } from '../../src/plugin-sdk/index.js';

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
    // Read by the host, accepted here so the block validates whole.
    enabled: z.boolean().optional(),
    review_as: z.string().min(1).optional(),
  })
  .strict();

export type PagerDutyConfig = z.infer<typeof pagerDutyConfigSchema>;
