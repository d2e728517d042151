// POST /hooks/teams/messages: the bot's messaging endpoint. The Bot Framework / Entra JWT is
// checked first by the SDK's own authorization step (issuer, audience = app id, signature from
// the authority's keys, expiry): `CloudAdapter.process()` alone checks nothing. Anonymous calls
// are never let through (the SDK allows them when no app id is set; one always is here). The
// token's tenant and the activity's tenant must be ours and the activity's serviceUrl must be
// the one the token was issued for: the SDK does not bind those for custom authorities. Only
// then is the body parsed and the activity processed.

import type { CloudAdapter, TurnContext } from '@microsoft/agents-hosting';
import {
  errorResponse,
  type InboundRequest,
  type InboundResponse,
  type InboundRoute,
  type PluginContext,
} from '../../src/plugin-sdk/index.js';
import type { TeamsConfig } from './config.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});

/** An express-like response for the SDK, collecting what it answers. */
class CollectedResponse {
  statusCode = 200;
  body: unknown;
  headers: Record<string, string> = {};
  headersSent = false;
  writableEnded = false;
  status(code: number) {
    this.statusCode = code;
    return this;
  }
  setHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
  send(body: unknown) {
    this.body = body;
    return this;
  }
  end() {
    this.writableEnded = true;
    return this;
  }
}

const sameUrl = (a: string, b: string) =>
  a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

function tenantOf(activity: Json): string | undefined {
  const fromChannel = obj(obj(activity.channelData).tenant).id;
  const fromConversation = obj(activity.conversation).tenantId;
  return typeof fromChannel === 'string'
    ? fromChannel
    : typeof fromConversation === 'string'
      ? fromConversation
      : undefined;
}

export function messagesRoute(
  ctx: PluginContext<TeamsConfig>,
  adapter: CloudAdapter,
  onTurn: (context: TurnContext) => Promise<void>,
): InboundRoute {
  const refuse = (why: string): InboundResponse => {
    ctx.log.warn({ why }, 'teams: refused an inbound activity');
    return errorResponse('INVALID_TOKEN', `invalid Teams request: ${why}`);
  };
  return {
    method: 'POST',
    path: '/messages',
    async handler(req: InboundRequest): Promise<InboundResponse> {
      const sdkRequest: Json = { method: 'POST', headers: { ...req.headers }, body: undefined };
      const authResponse = new CollectedResponse();
      let authorized = false;
      await adapter.authorizeRequest(sdkRequest as never, authResponse as never, () => {
        authorized = true;
      });
      if (!authorized) return refuse(String(obj(authResponse.body)['jwt-auth-error'] ?? 'no valid token'));
      const claims = obj(sdkRequest.user);
      if (claims.aud !== ctx.config.app_id) return refuse('the token is not for this bot');
      if (claims.tid !== undefined && claims.tid !== ctx.config.tenant_id)
        return refuse('the token is from another tenant');
      let activity: Json;
      try {
        activity = obj(JSON.parse(req.rawBody.toString('utf8')));
      } catch {
        return errorResponse('BAD_REQUEST', 'expected a JSON activity');
      }
      if (
        typeof claims.serviceurl !== 'string' ||
        typeof activity.serviceUrl !== 'string' ||
        !sameUrl(claims.serviceurl, activity.serviceUrl)
      ) {
        return refuse('the activity serviceUrl is not the one the token was issued for');
      }
      if (tenantOf(activity) !== ctx.config.tenant_id) return refuse('the activity is from another tenant');
      sdkRequest.body = activity;
      const res = new CollectedResponse();
      await adapter.process(sdkRequest as never, res as never, onTurn);
      const body = res.body;
      return {
        status: res.statusCode,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: body as Json }),
      };
    },
  };
}
