// The `plugins.teams` block of the config file. Secrets arrive resolved by the loader
// (`${ENV}` / `file:`). Outbound calls authenticate either with the app's client secret (MSAL
// against Entra) or through the Entra auth sidecar running beside the host.

import { z } from '../../src/plugin-sdk/index.js';

/** Adaptive Card TextBlocks get slow to render past a few thousand characters; keep reasons short. */
export const MAX_REASON_LENGTH = 2000;
/** A review reason typed into the card. */
export const MAX_REVIEW_REASON = 1000;

export const teamsConfigSchema = z
  .object({
    /** The bot's Microsoft App ID (the Entra app registration's client id); inbound tokens must name it. */
    app_id: z.string().min(1),
    /** The Entra tenant the bot serves; activities and tokens from any other tenant are refused. */
    tenant_id: z.string().min(1),
    /** How outbound calls get a token: the app's client secret, or the Entra auth sidecar. */
    auth: z.enum(['client_secret', 'sidecar']).default('client_secret'),
    client_secret: z.string().min(1).optional(),
    /** The Entra auth sidecar's base URL (loopback or private network only). */
    sidecar_url: z.url().optional(),
    /** Entra authority host; the tenant id is appended. Sovereign clouds use their own. */
    authority_url: z.url().default('https://login.microsoftonline.com'),
    /** Token issuers accepted besides the Bot Framework's; default: the tenant's Entra issuers. */
    issuers: z.array(z.string().min(1)).max(20).optional(),
    /** Bot Connector service URL for teams given below (Teams' global one unless a region is pinned). */
    service_url: z.url().default('https://smba.trafficmanager.net/teams/'),
    /** Microsoft Graph, read to find a post whose answer was lost (sovereign clouds have their own). */
    graph_url: z.url().default('https://graph.microsoft.com/v1.0'),
    /** Teams (by team id) the app is installed in, besides those it learns from installation events. */
    teams: z.array(z.string().min(1)).max(100).default([]),
    /** Reasons longer than this are cut with a visible marker. */
    reason_max_length: z.number().int().min(20).max(MAX_REASON_LENGTH).default(500),
    /** Whether denying needs a reason typed into the card. */
    deny_reason: z.enum(['required', 'optional']).default('required'),
    /** How a clicker becomes an access user: the email/UPN Teams gives, or a trait with their Entra object id. */
    user_mapping: z
      .object({
        by: z.enum(['email', 'trait']).default('email'),
        trait: z.string().min(1).default('teams_aad_id'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.auth === 'client_secret' && !cfg.client_secret)
      ctx.addIssue({
        code: 'custom',
        path: ['client_secret'],
        message: 'required when auth is client_secret',
      });
    if (cfg.auth === 'sidecar' && !cfg.sidecar_url)
      ctx.addIssue({ code: 'custom', path: ['sidecar_url'], message: 'required when auth is sidecar' });
  });

export type TeamsConfig = z.infer<typeof teamsConfigSchema>;

/** The authority URL with the tenant, as the SDK wants it. */
export function authorityOf(cfg: TeamsConfig): string {
  return `${cfg.authority_url.replace(/\/+$/, '')}/${cfg.tenant_id}`;
}
