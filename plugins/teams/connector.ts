// The Agents SDK's CloudAdapter, configured from the plugin block: inbound JWT validation against
// the tenant's Entra authority (and the Bot Framework's), outbound tokens by client secret or the
// Entra auth sidecar. Every outbound Bot Connector call goes through `withConnector`, which maps
// the connector's HTTP errors to the host's retry kinds (429 with its Retry-After, 5xx transient).

import type { Activity, ConversationReference } from '@microsoft/agents-activity';
import { type AuthConfiguration, CloudAdapter, type ConnectorClient } from '@microsoft/agents-hosting';
import { errorFromHttpStatus, PluginError, transient } from '../../src/plugin-sdk/index.js';
import { authorityOf, type TeamsConfig } from './config.js';

export const TEAMS_CHANNEL = 'msteams';

export function createAdapter(cfg: TeamsConfig): CloudAdapter {
  const authority = authorityOf(cfg);
  const auth: AuthConfiguration = {
    clientId: cfg.app_id,
    tenantId: cfg.tenant_id,
    authority,
    issuers: cfg.issuers ?? [`${authority}/v2.0`, `https://sts.windows.net/${cfg.tenant_id}/`],
    validateIssuer: true,
    ...(cfg.auth === 'sidecar'
      ? { authType: 'EntraAuthSideCar', sidecarBaseUrl: cfg.sidecar_url!.replace(/\/+$/, '') }
      : { authType: 'ClientSecret', clientSecret: cfg.client_secret! }),
  };
  // validateServiceUrl: an activity whose serviceUrl differs from its token's claim is refused
  // by the SDK too (the route checks it first, with its own answer).
  return new CloudAdapter(auth, undefined, undefined, { validateServiceUrl: true });
}

type HttpFailure = { status?: number; response?: { headers?: Headers; data?: unknown } };

/** A Bot Connector failure as a PluginError the host knows how to retry. */
export function connectorError(what: string, err: unknown): PluginError {
  if (err instanceof PluginError) return err;
  const failure = err as HttpFailure;
  if (typeof failure?.status === 'number') {
    const detail = JSON.stringify(failure.response?.data ?? '').slice(0, 300);
    return errorFromHttpStatus(
      failure.status,
      `Teams ${what}: HTTP ${failure.status} ${detail}`,
      failure.response?.headers?.get?.('retry-after') ?? null,
    );
  }
  return transient(`Teams ${what}: ${err instanceof Error ? err.message : String(err)}`, err);
}

export type WithConnector = <T>(
  serviceUrl: string,
  what: string,
  call: (client: ConnectorClient) => Promise<T>,
) => Promise<T>;

/** Runs `call` with a connector client for `serviceUrl`, authenticated as the bot. */
export function connectorRunner(adapter: CloudAdapter, appId: string): WithConnector {
  return async (serviceUrl, what, call) => {
    const reference = {
      serviceUrl,
      channelId: TEAMS_CHANNEL,
      conversation: { id: 'accessbot-outbound' },
      agent: { id: appId },
      user: { id: 'accessbot' },
    } as unknown as ConversationReference;
    let result: { value: Awaited<ReturnType<typeof call>> } | undefined;
    // The call's own failure is kept here: the adapter's turn-error handler would swallow it.
    let failure: { err: unknown } | undefined;
    try {
      await adapter.continueConversation(appId, reference, async (context) => {
        const client = context.turnState.get<ConnectorClient>(adapter.ConnectorClientKey);
        try {
          result = { value: await call(client) };
        } catch (err) {
          failure = { err };
        }
      });
    } catch (err) {
      throw connectorError(what, err);
    }
    if (failure) throw connectorError(what, failure.err);
    if (!result) throw transient(`Teams ${what}: the call did not run`);
    return result.value;
  };
}

export type OutboundActivity = Partial<Activity> & Record<string, unknown>;
