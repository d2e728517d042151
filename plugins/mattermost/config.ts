// The `plugins.mattermost` block of the config file. Secrets arrive resolved by the loader
// (`${ENV}` / `file:`); `token_file` is also accepted so a mounted secret can rotate without
// editing the config.

import { readFileSync } from 'node:fs';
import { z } from '../../src/plugin-sdk/index.js';

/** Attachment field values stay far below Mattermost's 16,383-character post limit. */
export const MAX_REASON_LENGTH = 3000;

export const mattermostConfigSchema = z
  .object({
    /** The Mattermost site URL, e.g. `https://chat.example.com` (no `/api/v4`). */
    url: z.url(),
    /** The bot account's access token. */
    token: z.string().min(1).optional(),
    /** File holding the bot token, read at start (whitespace trimmed). */
    token_file: z.string().min(1).optional(),
    /**
     * Key of the MACs in button contexts and dialog states. Mattermost signs nothing, so this
     * secret is what proves a click was relayed by the Mattermost server.
     */
    action_secret: z.string().min(16, 'use at least 16 characters').optional(),
    /** `http`: buttons and a reason dialog through /hooks/mattermost/…; `none`: no buttons. */
    interactions: z.enum(['http', 'none']).default('http'),
    /**
     * The URL Mattermost posts clicks to, when it must differ from `<host.public_url>/hooks/mattermost`
     * (e.g. an internal address Mattermost reaches the host by).
     */
    callback_url: z.url().optional(),
    /** Reasons longer than this are cut with a visible marker. */
    reason_max_length: z.number().int().min(20).max(MAX_REASON_LENGTH).default(500),
    /** Whether the review dialog insists on a reason. */
    review_reason: z.enum(['required', 'optional']).default('optional'),
    /**
     * How a Mattermost clicker becomes an access user: by the account's email, or by an access
     * user's trait holding the Mattermost username. The trait also reaches people routed by
     * email, whatever `by` says (recipients.ts).
     */
    user_mapping: z
      .object({
        by: z.enum(['email', 'trait']).default('email'),
        trait: z.string().min(1).default('mattermost_username'),
      })
      .strict()
      .prefault({}),
    /** Per-call timeout of REST calls to Mattermost (ms). */
    timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (!cfg.token && !cfg.token_file)
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'set token or token_file' });
    if (cfg.interactions === 'http' && !cfg.action_secret) {
      ctx.addIssue({
        code: 'custom',
        path: ['action_secret'],
        message: 'required when interactions is http (e.g. `openssl rand -hex 32`)',
      });
    }
  });

export type MattermostConfig = z.infer<typeof mattermostConfigSchema>;

export function botToken(cfg: MattermostConfig): string {
  if (cfg.token) return cfg.token;
  return readFileSync(cfg.token_file!, 'utf8').trim();
}
