// The `plugins.jsm-ops` block. One plugin, two flavors of the same resource model:
// `jsm` (Jira Service Management Operations, the default) and `opsgenie` (until Opsgenie's REST
// API ends on 2027-04-05). Strict, so a misspelt key is an error at start, not a silent default.

import { z } from '../../src/plugin-sdk/index.js';

export const OPSGENIE_BASE_URLS = {
  us: 'https://api.opsgenie.com',
  eu: 'https://api.eu.opsgenie.com',
} as const;
export const JSM_BASE_URL = 'https://api.atlassian.com';

/** https everywhere; plain http only towards 127.0.0.1 (a local fake or proxy). */
const baseUrl = z.url().refine(
  (value) => {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && url.hostname === '127.0.0.1');
  },
  { message: 'must be https (http is allowed only for 127.0.0.1)' },
);

export const jsmOpsConfigSchema = z
  .object({
    flavor: z.enum(['jsm', 'opsgenie']).default('jsm'),
    /** JSM: the site's cloud id (`https://<site>.atlassian.net/_edge/tenant_info`). */
    cloud_id: z.string().min(1).optional(),
    /** JSM: the Atlassian account the API token belongs to. */
    email: z.email().optional(),
    /** JSM: an Atlassian API token of that account. */
    api_token: z.string().min(1).optional(),
    /** Opsgenie: an API key (API Key Management, or an API integration's key). */
    api_key: z.string().min(1).optional(),
    /** Opsgenie: which instance the account lives on. */
    region: z.enum(['us', 'eu']).default('us'),
    /** Overrides the flavor's host (a proxy, or a fake in tests). */
    base_url: baseUrl.optional(),
    /** Request annotation naming the responders (`team:<id or name>`…) to raise alerts for. */
    notify_annotation: z.string().min(1).default('jsm_ops_notify'),
    /** Request annotation naming the schedules whose on-call people are auto-approved. */
    schedules_annotation: z.string().min(1).default('jsm_ops_schedules'),
    /** Access user trait holding a person's Atlassian account id (JSM answers with account ids). */
    account_id_trait: z.string().min(1).default('atlassian_account_id'),
    /** Alert priority, P1 (highest) to P5. */
    priority: z.enum(['P1', 'P2', 'P3', 'P4', 'P5']).default('P3'),
    /** Extra tags on every alert. */
    tags: z.array(z.string().min(1).max(50)).max(20).default([]),
    /** Per-call timeout (ms). */
    timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
    /** How long to wait for an asynchronous write to be processed before retrying the job (ms). */
    processing_wait_ms: z.number().int().min(100).max(60_000).default(5_000),
    // Read by the host (as is `auto_approval`, which the host strips before this schema sees the
    // block: the on-call policy is the host's), accepted here so the block validates whole.
    enabled: z.boolean().optional(),
    review_as: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const need = (key: 'cloud_id' | 'email' | 'api_token' | 'api_key', why: string) => {
      if (cfg[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required ${why}` });
    };
    const forbid = (key: 'cloud_id' | 'email' | 'api_token' | 'api_key', why: string) => {
      if (cfg[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `not used ${why}` });
    };
    if (cfg.flavor === 'jsm') {
      need('cloud_id', 'with flavor: jsm');
      need('email', 'with flavor: jsm (the account the API token belongs to)');
      need('api_token', 'with flavor: jsm');
      forbid('api_key', 'with flavor: jsm (JSM Operations takes email + api_token)');
    } else {
      need('api_key', 'with flavor: opsgenie');
      for (const key of ['cloud_id', 'email', 'api_token'] as const)
        forbid(key, 'with flavor: opsgenie (Opsgenie takes api_key)');
    }
  });

export type JsmOpsConfig = z.infer<typeof jsmOpsConfigSchema>;
