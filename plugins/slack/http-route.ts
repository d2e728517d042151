// POST /hooks/slack/interactions: Slack's Interactivity Request URL. The signature and
// timestamp are checked on the raw body first; a forged, stale or future request is refused
// with 401 before the payload is even decoded. A validly signed request seen twice (a replay
// inside the window) is acknowledged and ignored.

import {
  errorResponse,
  type InboundRequest,
  type InboundResponse,
  type InboundRoute,
  jsonResponse,
  type PluginContext,
} from '../../src/plugin-sdk/index.js';
import type { SlackConfig } from './config.js';
import type { SlackInteractions } from './interactions.js';
import { verifySlackSignature } from './verify.js';

export function interactionRoute(
  ctx: PluginContext<SlackConfig>,
  interactions: SlackInteractions,
): InboundRoute {
  return {
    method: 'POST',
    path: '/interactions',
    async handler(req: InboundRequest): Promise<InboundResponse> {
      const secret = ctx.config.signing_secret;
      if (!secret) return errorResponse('NOT_FOUND', 'Slack HTTP interactions are not enabled');
      const verified = verifySlackSignature(
        req.headers,
        req.rawBody,
        secret,
        ctx.config.replay_window_seconds,
      );
      // Refusals are counted and logged (once per window) by the host's inbound server.
      if (!verified.ok) return errorResponse(verified.code, `invalid Slack request: ${verified.why}`);
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (type !== 'application/x-www-form-urlencoded') {
        return errorResponse('UNSUPPORTED_MEDIA_TYPE', 'expected application/x-www-form-urlencoded');
      }
      let payload: unknown;
      try {
        payload = JSON.parse(new URLSearchParams(req.rawBody.toString('utf8')).get('payload') ?? '');
      } catch {
        return errorResponse('BAD_REQUEST', 'expected a form field `payload` holding JSON');
      }
      const window = ctx.config.replay_window_seconds;
      const signedAt = Number(req.headers['x-slack-request-timestamp']);
      if (!(await ctx.kv.setIfAbsent(`sig:${verified.signature}`, '1', window * 2 + 60))) {
        return { status: 200 };
      }
      const ack = await interactions.handle(payload, (signedAt + window) * 1000);
      return ack ? jsonResponse(200, ack) : { status: 200 };
    },
  };
}
