// POST /hooks/discord/interactions: the application's Interactions Endpoint URL. The Ed25519
// signature and the timestamp are checked on the raw body first; a forged, unsigned, stale or
// future call is refused with 401 before the JSON is even parsed (Discord itself sends such
// calls when the URL is saved, and requires the 401).

import type { KeyObject } from 'node:crypto';
import {
  errorResponse,
  type InboundRequest,
  type InboundResponse,
  type InboundRoute,
  jsonResponse,
  type PluginContext,
} from '../../src/plugin-sdk/index.js';
import type { DiscordConfig } from './config.js';
import type { DiscordInteractions } from './interactions.js';
import { verifyDiscordSignature } from './verify.js';

export function interactionRoute(
  ctx: PluginContext<DiscordConfig>,
  publicKey: KeyObject,
  interactions: DiscordInteractions,
): InboundRoute {
  return {
    method: 'POST',
    path: '/interactions',
    async handler(req: InboundRequest): Promise<InboundResponse> {
      const verified = verifyDiscordSignature(
        req.headers,
        req.rawBody,
        publicKey,
        ctx.config.replay_window_seconds,
      );
      if (!verified.ok) {
        ctx.log.warn({ why: verified.why }, 'discord: refused an unsigned or badly signed interaction');
        return errorResponse(verified.code, `invalid Discord request: ${verified.why}`);
      }
      let payload: unknown;
      try {
        payload = JSON.parse(req.rawBody.toString('utf8'));
      } catch {
        return errorResponse('BAD_REQUEST', 'expected a JSON interaction');
      }
      return jsonResponse(200, await interactions.handle(payload));
    },
  };
}
