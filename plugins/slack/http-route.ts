// POST /hooks/slack/interactions: Slack's Interactivity Request URL. The signature and
// timestamp are checked on the raw body first; a forged, stale or future request is refused
// with 401 before the payload is even decoded. A validly signed request seen twice (a replay
// inside the window) is acknowledged and ignored.

import type {
  InboundRequest,
  InboundResponse,
  InboundRoute,
  PluginContext,
} from '../../src/plugin-sdk/index.js';
import type { SlackConfig } from './config.js';
import type { SlackInteractions } from './interactions.js';
import { verifySlackSignature } from './verify.js';

const refuse = (status: number, code: string, message: string): InboundResponse => ({
  status,
  body: { error: { code, message } },
});

export function interactionRoute(
  ctx: PluginContext<SlackConfig>,
  interactions: SlackInteractions,
): InboundRoute {
  return {
    method: 'POST',
    path: '/interactions',
    async handler(req: InboundRequest): Promise<InboundResponse> {
      const secret = ctx.config.signing_secret;
      if (!secret) return refuse(404, 'NOT_FOUND', 'Slack HTTP interactions are not enabled');
      const verified = verifySlackSignature(
        req.headers,
        req.rawBody,
        secret,
        ctx.config.replay_window_seconds,
      );
      if (!verified.ok) {
        ctx.log.warn({ why: verified.why }, 'slack: refused an unsigned or badly signed interaction');
        return refuse(401, 'UNAUTHENTICATED', `invalid Slack request: ${verified.why}`);
      }
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (type !== 'application/x-www-form-urlencoded') {
        return refuse(400, 'BAD_REQUEST', 'expected application/x-www-form-urlencoded');
      }
      let payload: unknown;
      try {
        payload = JSON.parse(new URLSearchParams(req.rawBody.toString('utf8')).get('payload') ?? '');
      } catch {
        return refuse(400, 'BAD_REQUEST', 'expected a form field `payload` holding JSON');
      }
      const window = ctx.config.replay_window_seconds;
      if (!(await ctx.kv.setIfAbsent(`sig:${verified.signature}`, '1', window * 2 + 60))) {
        return { status: 200 };
      }
      const ack = await interactions.handle(payload);
      return ack
        ? { status: 200, headers: { 'content-type': 'application/json' }, body: ack }
        : { status: 200 };
    },
  };
}
