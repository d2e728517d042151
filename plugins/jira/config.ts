// The jira plugin's block under `plugins.jira` in the config file.

import { z } from '../../src/plugin-sdk/index.js';

const basicAuth = z
  .object({
    /** Jira Cloud: the bot account's email and an API token. */
    type: z.literal('basic'),
    email: z.string().min(3),
    api_token: z.string().min(1),
  })
  .strict();

const patAuth = z
  .object({
    /** Jira Data Center: a personal access token (sent as Bearer). */
    type: z.literal('pat'),
    token: z.string().min(1),
  })
  .strict();

export const jiraConfigSchema = z
  .object({
    /** Site URL, e.g. https://acme.atlassian.net or https://jira.example.com/jira (path prefixes are kept). */
    base_url: z.url(),
    auth: z.discriminatedUnion('type', [basicAuth, patAuth]),
    /** `cloud` searches with /search/jql; `datacenter` with /search. Default follows the auth type. */
    deployment: z.enum(['cloud', 'datacenter']).optional(),
    project: z.string().regex(/^[A-Z][A-Z0-9_]{0,254}$/, 'a Jira project key such as SEC'),
    issue_type: z.string().min(1).default('Task'),
    statuses: z
      .object({
        pending: z.string().min(1).default('Pending'),
        approved: z.string().min(1).default('Approved'),
        denied: z.string().min(1).default('Denied'),
        expired: z.string().min(1).default('Expired'),
      })
      .strict()
      .prefault({}),
    /** Secret of the Jira admin webhook; every call to /hooks/jira must carry X-Hub-Signature. */
    webhook_secret: z.string().min(16, 'at least 16 characters').optional(),
    /** Accept unsigned webhooks (Jira versions that cannot sign). Off by default; never in production. */
    allow_unsigned_webhooks: z.boolean().default(false),
    /** A reviewer's latest comment starting with this gives the review's reason. */
    reason_prefix: z.string().min(1).default('Reason:'),
    /**
     * How long after a create whose answer was lost a retry keeps waiting for Jira's search to
     * show the issue, rather than create a second one (Jira Cloud's index lags creations).
     */
    search_lag_seconds: z.number().int().min(0).max(600).default(30),
    /** Per-call timeout towards Jira. */
    timeout_ms: z.number().int().min(100).max(120_000).default(15_000),
  })
  .strict()
  .refine((c) => c.webhook_secret !== undefined || c.allow_unsigned_webhooks, {
    message: 'webhook_secret is required (or set allow_unsigned_webhooks: true, which accepts forged calls)',
    path: ['webhook_secret'],
  });

export type JiraConfig = z.infer<typeof jiraConfigSchema>;

export function deploymentOf(config: JiraConfig): 'cloud' | 'datacenter' {
  return config.deployment ?? (config.auth.type === 'basic' ? 'cloud' : 'datacenter');
}
