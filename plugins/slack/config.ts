// The `plugins.slack` block of the config file. Secrets arrive resolved by the loader
// (`${ENV}` / `file:`); `token_file` is also accepted here so a mounted secret can rotate
// without editing the config.

import { readFileSync } from 'node:fs';
import { z } from '../../src/plugin-sdk/index.js';

/** Slack refuses section text over 3000 characters; keep the reason well inside it. */
export const MAX_REASON_LENGTH = 2500;

export const slackConfigSchema = z
  .object({
    /** Bot token (`xoxb-…`). */
    token: z.string().min(1).optional(),
    /** File holding the bot token, read at start (whitespace trimmed). */
    token_file: z.string().min(1).optional(),
    /** Verifies HTTP interactions (`X-Slack-Signature`); required when interactions = http. */
    signing_secret: z.string().min(1).optional(),
    /** How clicks reach us: the `/hooks/slack/interactions` endpoint, Socket Mode, or not at all. */
    interactions: z.enum(['http', 'socket', 'none']).default('http'),
    /** App-level token (`xapp-…`) for Socket Mode. */
    app_token: z.string().min(1).optional(),
    /** Web API base URL; GovSlack is `https://slack-gov.com/api/`. */
    api_url: z.url().default('https://slack.com/api/'),
    /** Reasons longer than this are cut with a visible marker. */
    reason_max_length: z.number().int().min(20).max(MAX_REASON_LENGTH).default(500),
    /** Whether the review dialog insists on a reason. */
    review_reason: z.enum(['required', 'optional']).default('optional'),
    /** How a Slack clicker becomes an access user: by a trait holding the Slack user ID, or by profile email. */
    user_mapping: z
      .object({
        by: z.enum(['email', 'trait']).default('email'),
        trait: z.string().min(1).default('slack_uid'),
      })
      .strict()
      .prefault({}),
    /** Signed interactions older or newer than this are refused (seconds). */
    replay_window_seconds: z.number().int().min(1).max(3600).default(300),
    /** Per-call timeout of the Web API client (ms). */
    timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (!cfg.token && !cfg.token_file)
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'set token or token_file' });
    if (cfg.interactions === 'http' && !cfg.signing_secret) {
      ctx.addIssue({
        code: 'custom',
        path: ['signing_secret'],
        message: 'required when interactions is http',
      });
    }
    if (cfg.interactions === 'socket' && !cfg.app_token) {
      ctx.addIssue({ code: 'custom', path: ['app_token'], message: 'required when interactions is socket' });
    }
  });

export type SlackConfig = z.infer<typeof slackConfigSchema>;

export function botToken(cfg: SlackConfig): string {
  if (cfg.token) return cfg.token;
  return readFileSync(cfg.token_file!, 'utf8').trim();
}
