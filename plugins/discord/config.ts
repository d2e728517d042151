// The `plugins.discord` block of the config file. Secrets arrive resolved by the loader
// (`${ENV}` / `file:`); `token_file` is also accepted so a mounted secret can rotate without
// editing the config (it is read again after Discord refuses the token).

import { readFileSync } from 'node:fs';
import { z } from '../../src/plugin-sdk/index.js';

/** Discord's ids are snowflakes: 17 to 20 decimal digits. */
export const SNOWFLAKE = /^\d{17,20}$/;

/** An embed field value holds at most 1024 characters; the reason field keeps room for escapes. */
export const MAX_REASON_LENGTH = 900;

export const discordConfigSchema = z
  .object({
    /** Bot token (Developer Portal → Bot → Reset Token). */
    token: z.string().min(1).optional(),
    /** File holding the bot token, read at start (whitespace trimmed). */
    token_file: z.string().min(1).optional(),
    /** Application public key (hex, 64 characters): verifies the interactions endpoint's calls. */
    public_key: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'expected the 64 hex characters of the application public key'),
    /** The server (guild) whose channels `#name` targets and whose members `@username` targets name. */
    guild_id: z.string().regex(SNOWFLAKE, 'expected a Discord server id (17-20 digits)'),
    /** REST base URL (without the version); only a test or a proxy changes it. */
    api_url: z.url().default('https://discord.com/api'),
    /** Reasons longer than this are cut with a visible marker. */
    reason_max_length: z.number().int().min(20).max(MAX_REASON_LENGTH).default(500),
    /** Whether the review modal insists on a reason. */
    review_reason: z.enum(['required', 'optional']).default('optional'),
    /**
     * How a clicker (and an email recipient) becomes an access user: by a trait holding the
     * Discord user id (stable), or by one holding the Discord username (which people can change).
     */
    user_mapping: z
      .object({
        by: z.enum(['id', 'username']).default('id'),
        trait: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /** Reviews go into a thread started on each channel message (DMs get replies instead). */
    threads: z.boolean().default(true),
    /** Signed interactions older or newer than this are refused (seconds); Discord sets no window. */
    replay_window_seconds: z.number().int().min(1).max(3600).default(300),
    /** Per-call REST timeout (ms). */
    timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (!cfg.token && !cfg.token_file)
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'set token or token_file' });
  });

export type DiscordConfig = z.infer<typeof discordConfigSchema>;

export function botToken(cfg: DiscordConfig): string {
  if (cfg.token) return cfg.token;
  return readFileSync(cfg.token_file!, 'utf8').trim();
}

/** The trait that maps a Discord person to an access user. */
export function mappingTrait(cfg: DiscordConfig): string {
  return cfg.user_mapping.trait ?? (cfg.user_mapping.by === 'id' ? 'discord_id' : 'discord_username');
}
