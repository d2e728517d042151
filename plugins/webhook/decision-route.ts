// POST /hooks/webhook/ — a signed decision from a receiver: who decided what on which request.
// Signature and replay window are checked on the raw bytes before the body is even parsed.

import {
  decisionResponse,
  errorResponse,
  type InboundRoute,
  type PersonRef,
  type PluginContext,
  z,
} from '../../src/plugin-sdk/index.js';
import type { WebhookConfig } from './config.js';
import { TIMESTAMP_HEADER, verify } from './signature.js';

const decisionSchema = z
  .object({
    request_id: z.string().min(1).max(200),
    action: z.enum(['approve', 'deny']),
    reason: z.string().max(4096).optional(),
    person: z.union([
      z.object({ email: z.string().min(3).max(320) }).strict(),
      z.object({ trait: z.string().min(1).max(200), value: z.string().min(1).max(500) }).strict(),
    ]),
    person_label: z.string().max(200).optional(),
  })
  .strict();

export function decisionRoute(ctx: PluginContext<WebhookConfig>): InboundRoute {
  return {
    method: 'POST',
    path: '/',
    async handler(req) {
      const check = verify(ctx.config.secret, req.headers, req.rawBody, ctx.config.replay_window_seconds);
      // Refusals are counted and logged (once per window) by the host's inbound server.
      if (!check.ok) {
        return check.reason === 'stale'
          ? errorResponse('STALE_REQUEST', 'X-Accessbot-Timestamp is outside the replay window')
          : errorResponse('INVALID_SIGNATURE', 'missing or invalid X-Accessbot-Signature');
      }
      let json: unknown;
      try {
        json = JSON.parse(req.rawBody.toString('utf8'));
      } catch {
        return errorResponse('BAD_REQUEST', 'body is not JSON');
      }
      const parsed = decisionSchema.safeParse(json);
      if (!parsed.success) {
        const detail = parsed.error.issues
          .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
          .join('; ');
        return errorResponse('VALIDATION_FAILED', detail);
      }
      const d = parsed.data;
      const outcome = await ctx.decide({
        requestId: d.request_id,
        action: d.action,
        person: d.person as PersonRef,
        ...(d.reason ? { reason: d.reason } : {}),
        ...(d.person_label ? { personLabel: d.person_label } : {}),
        notAfter: (Number(req.headers[TIMESTAMP_HEADER]) + ctx.config.replay_window_seconds) * 1000,
      });
      return decisionResponse(outcome);
    },
  };
}
