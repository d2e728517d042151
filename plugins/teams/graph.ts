// Finding a post whose answer was lost. The Bot Connector cannot read a conversation back, so
// a retry that may have posted already (`mayHaveBeenSent`) asks Microsoft Graph for the newest
// messages of the channel, thread or 1:1 chat and looks for the card carrying the delivery's
// marker (an element id every card and reply of that delivery has). It needs the app's
// resource-specific consent to read messages (ChannelMessage.Read.Group, ChatMessage.Read.Chat;
// the app package asks for both). Without it, or on any error, it answers null and the caller
// posts: a possible duplicate rather than a lost message.

import type { CloudAdapter } from '@microsoft/agents-hosting';
import type { Logger } from '../../src/plugin-sdk/index.js';
import type { TeamsConfig } from './config.js';

/** Where Graph finds a conversation's messages. */
export type GraphLocator =
  | { type: 'channel'; teamGroupId: string; channelId: string }
  | { type: 'chat'; chatId: string };

/** Messages looked through for an earlier try (Graph's page maximum for channel messages is 50). */
const LOOKBACK = 50;
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** The Graph id of the bot's 1:1 chat with a user: `19:{user object id}_{bot app id}@unq.gbl.spaces`. */
export function personalChatId(userAadObjectId: string, appId: string): string {
  return `19:${userAadObjectId}_${appId}@unq.gbl.spaces`;
}

export const deliveryMarker = (deliveryId: string) => `accessbot-delivery-${deliveryId}`;

export class GraphLookup {
  constructor(
    private readonly adapter: CloudAdapter,
    private readonly cfg: TeamsConfig,
    private readonly log: Logger,
  ) {}

  /** The id of the message (or thread reply under `threadRootId`) carrying `marker`, if Graph shows one. */
  async findPosted(locator: GraphLocator, marker: string, threadRootId?: string): Promise<string | null> {
    try {
      const base = this.cfg.graph_url.replace(/\/+$/, '');
      const path =
        locator.type === 'channel'
          ? `/teams/${encodeURIComponent(locator.teamGroupId)}/channels/${encodeURIComponent(locator.channelId)}/messages${
              threadRootId ? `/${encodeURIComponent(threadRootId)}/replies` : ''
            }`
          : `/chats/${encodeURIComponent(locator.chatId)}/messages`;
      const token = await this.adapter.connectionManager.getDefaultConnection().getAccessToken(GRAPH_SCOPE);
      const res = await fetch(`${base}${path}?$top=${LOOKBACK}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`Graph answered ${res.status}`);
      const body = (await res.json()) as { value?: { id?: string; attachments?: { content?: string }[] }[] };
      const hit = (body.value ?? []).find((message) =>
        (message.attachments ?? []).some(
          (a) => typeof a.content === 'string' && a.content.includes(`"${marker}"`),
        ),
      );
      return hit?.id ?? null;
    } catch (err) {
      this.log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'teams: could not look for an earlier post in Microsoft Graph; posting (a duplicate is possible)',
      );
      return null;
    }
  }
}
