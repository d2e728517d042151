// The webhook plugin's settings (the block under `plugins.webhook`).
import { z } from '../../src/plugin-sdk/index.js';

export const webhookConfigSchema = z
  .object({
    /** Shared secret for HMAC-SHA256 signatures, both directions. */
    secret: z.string().min(16, 'use at least 16 characters'),
    /** Named endpoints, so routing rules can say `ops` instead of a URL. */
    endpoints: z.record(z.string(), z.url()).default({}),
    /** Recipients (endpoint names or URLs) that get every request, on top of routing rules. */
    recipients: z.array(z.string().min(1)).default([]),
    timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
    /** How far a signed decision's timestamp may be from now, either way (seconds). */
    replay_window_seconds: z.number().int().min(1).max(3600).default(300),
  })
  .strict();

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;
