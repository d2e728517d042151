// The `plugins.email` block of the config file. The SMTP password arrives resolved by the
// loader (`${ENV}` / `file:`); `password_file` is also read here so a mounted secret can rotate
// without editing the config.

import { readFileSync } from 'node:fs';
import { z } from '../../src/plugin-sdk/index.js';

/** Longest reason a reviewer may type on the review page (the API's own limit is larger). */
export const MAX_PAGE_REASON_LENGTH = 2000;

export const emailConfigSchema = z
  .object({
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65_535).default(587),
        /**
         * `starttls`: plain connection upgraded with STARTTLS, refused if the server does not
         * offer it; `tls`: implicit TLS from the first byte (port 465); `none`: no TLS at all
         * (a local relay only).
         */
        security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
        user: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
        /** File holding the password, read at start (whitespace trimmed). */
        password_file: z.string().min(1).optional(),
        /** Connections kept open to the server (a pooled transport). */
        max_connections: z.number().int().min(1).max(50).default(5),
        /** Per-command socket timeout (ms). */
        timeout_ms: z.number().int().min(100).max(120_000).default(15_000),
        /** Verify the server certificate; turn off only for a test relay with a self-signed one. */
        tls_verify: z.boolean().default(true),
      })
      .strict(),
    /** The sender, e.g. `accessbot <accessbot@example.com>`. */
    from: z.string().min(3).max(320),
    /** Addresses that get every request, on top of routing rules. */
    recipients: z.array(z.email()).default([]),
    /** How long the plugin's queue pauses after the server throttles us (SMTP 454 / 421), ms. */
    temp_failure_retry_ms: z.number().int().min(0).max(3_600_000).default(60_000),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.smtp.user && !cfg.smtp.password && !cfg.smtp.password_file)
      ctx.addIssue({
        code: 'custom',
        path: ['smtp', 'password'],
        message: 'set password or password_file with user',
      });
  });

export type EmailConfig = z.infer<typeof emailConfigSchema>;

/** The SMTP password, from the config or its file. */
export function smtpPassword(cfg: EmailConfig): string | undefined {
  if (cfg.smtp.password) return cfg.smtp.password;
  if (cfg.smtp.password_file) return readFileSync(cfg.smtp.password_file, 'utf8').trim();
  return undefined;
}

/** The domain part of the sender, for Message-IDs. */
export function senderDomain(from: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(from);
  return match?.[1]?.toLowerCase() ?? 'accessbot.invalid';
}
