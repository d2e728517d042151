// Posting and editing messages: the root message per recipient, edits on every change,
// one thread reply per review, and the requester's outcome DM.

import type { WebClient } from '@slack/web-api';
import {
  type Card,
  type CardReview,
  type DeliveryContext,
  type MessageRef,
  type PluginKv,
  permanent,
  type Target,
} from '../../src/plugin-sdk/index.js';
import { slackCall } from './client.js';
import {
  type RenderOptions,
  renderMessage,
  renderOutcome,
  renderReminder,
  renderReview,
  renderWithdrawn,
} from './render.js';

export interface SlackRef {
  channel: string;
  ts: string;
}

export function asSlackRef(ref: MessageRef): SlackRef {
  if (typeof ref.channel !== 'string' || typeof ref.ts !== 'string') {
    throw permanent(`not a Slack message reference: ${JSON.stringify(ref)}`);
  }
  return { channel: ref.channel, ts: ref.ts };
}

/** Claims a once-only action; releases the claim if the action fails so a retry may do it. */
async function once(kv: PluginKv, key: string, action: () => Promise<void>): Promise<void> {
  if (!(await kv.setIfAbsent(key, '1', 30 * 24 * 3600))) return;
  try {
    await action();
  } catch (err) {
    await kv.delete(key);
    throw err;
  }
}

/** Message metadata type that marks our root messages (with the delivery and request ids). */
const DELIVERY_EVENT = 'accessbot_request';
/** Recent channel messages searched for an earlier try's post. */
const HISTORY_LOOKBACK = 200;
/** conversations.list pages (of Slack's maximum 1000) read to find a channel by name. */
const CHANNEL_LIST_PAGE = 1000;
const CHANNEL_LIST_MAX_PAGES = 20;

export class SlackMessages {
  private readonly channelIds = new Map<string, string>();

  constructor(
    private readonly client: WebClient,
    private readonly kv: PluginKv,
    private readonly opts: RenderOptions,
  ) {}

  /**
   * Posts the root message. Slack takes no idempotency key, so a retry must not simply post
   * again: the ref is remembered under the host's delivery id (a retry after the host failed to
   * store it edits that message), and every post carries the delivery id in its message
   * metadata, so a retry whose first try's answer was lost finds the message in the channel's
   * recent history and edits it instead of posting a second one.
   */
  async post(target: Target, card: Card, delivery?: DeliveryContext): Promise<SlackRef> {
    const deliveryId = delivery?.deliveryId;
    const memoKey = deliveryId ? `posted:${deliveryId}` : undefined;
    const remembered = memoKey ? await this.kv.get(memoKey) : null;
    const found = remembered
      ? asSlackRef(JSON.parse(remembered) as MessageRef)
      : deliveryId && delivery?.mayHaveBeenSent
        ? await this.findPosted(target, deliveryId)
        : null;
    if (found) {
      await this.edit(target, found, card);
      if (memoKey && !remembered) await this.kv.set(memoKey, JSON.stringify(found), 30 * 24 * 3600);
      return found;
    }
    const { text, blocks } = renderMessage(target, card, this.opts);
    const res = await slackCall('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel: target.id,
        text,
        blocks: blocks as never,
        unfurl_links: false,
        ...(deliveryId
          ? {
              metadata: {
                event_type: DELIVERY_EVENT,
                event_payload: { delivery_id: deliveryId, request_id: card.requestId },
              },
            }
          : {}),
      }),
    );
    if (!res.channel || !res.ts) throw permanent('chat.postMessage answered without channel or ts');
    const ref = { channel: res.channel, ts: res.ts };
    await this.rememberChannelId(target.id, res.channel);
    if (memoKey) await this.kv.set(memoKey, JSON.stringify(ref), 30 * 24 * 3600);
    return ref;
  }

  /**
   * The message an earlier try posted, from the conversation's latest messages (needs the
   * `channels:history` / `groups:history` / `im:history` scope). Without the scope, or on any
   * error, it answers null and the caller posts (a possible duplicate rather than a lost message).
   */
  private async findPosted(target: Target, deliveryId: string): Promise<SlackRef | null> {
    try {
      const channel = await this.conversationOf(target);
      if (!channel) return null;
      const res = await this.client.conversations.history({
        channel,
        limit: HISTORY_LOOKBACK,
        include_all_metadata: true,
      });
      const hit = (res.messages ?? []).find(
        (m) =>
          m.metadata?.event_type === DELIVERY_EVENT &&
          (m.metadata.event_payload as { delivery_id?: unknown } | undefined)?.delivery_id === deliveryId,
      );
      return hit?.ts ? { channel, ts: hit.ts } : null;
    } catch {
      return null;
    }
  }

  /**
   * The conversation ID a target's messages land in (history takes IDs only): a user's DM
   * channel, or for a `#name` the ID an earlier post to it answered.
   */
  private async conversationOf(target: Target): Promise<string | null> {
    if (target.kind === 'user') {
      const res = await this.client.conversations.open({ users: target.id });
      return res.channel?.id ?? null;
    }
    if (!target.id.startsWith('#')) return target.id;
    const known = this.channelIds.get(target.id) ?? (await this.kv.get(`channel-id:${target.id}`));
    // The first post to a channel by name may be the one whose answer was lost: ask Slack.
    return known ?? (await this.channelIdByName(target.id));
  }

  /** A `#name`'s channel ID from conversations.list (scopes `channels:read`, `groups:read`). */
  private async channelIdByName(targetId: string): Promise<string | null> {
    const name = targetId.slice(1);
    let cursor: string | undefined;
    for (let page = 0; page < CHANNEL_LIST_MAX_PAGES; page++) {
      const res = await this.client.conversations.list({
        types: 'public_channel,private_channel',
        exclude_archived: true,
        limit: CHANNEL_LIST_PAGE,
        ...(cursor ? { cursor } : {}),
      });
      const hit = (res.channels ?? []).find((c) => c.name === name);
      if (hit?.id) {
        await this.rememberChannelId(targetId, hit.id);
        return hit.id;
      }
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) return null;
    }
    return null;
  }

  /** `#name` → channel ID, kept once per channel (in the plugin's kv, for other hosts too). */
  private async rememberChannelId(targetId: string, channelId: string): Promise<void> {
    if (!targetId.startsWith('#') || this.channelIds.get(targetId) === channelId) return;
    this.channelIds.set(targetId, channelId);
    await this.kv.set(`channel-id:${targetId}`, channelId, 30 * 24 * 3600);
  }

  async edit(target: Target, ref: SlackRef, card: Card): Promise<void> {
    const { text, blocks } = renderMessage(target, card, this.opts);
    await slackCall('chat.update', () =>
      this.client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks: blocks as never }),
    );
    if (target.audience === 'requester' && card.state !== 'PENDING') {
      // An edit does not notify; the requester hears about the outcome in a new DM, once.
      await once(this.kv, `outcome:${card.requestId}:${ref.channel}`, async () => {
        const outcome = renderOutcome(card, this.opts);
        await slackCall('chat.postMessage', () =>
          this.client.chat.postMessage({ channel: ref.channel, text: outcome }),
        );
      });
    }
  }

  /** The request was deleted: the message shows it as withdrawn, without buttons. */
  async withdrawn(target: Target, ref: SlackRef, card: Card): Promise<void> {
    const { text, blocks } = renderWithdrawn(target, card, this.opts);
    await slackCall('chat.update', () =>
      this.client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks: blocks as never }),
    );
  }

  /** A reminder in the thread, once per delivery id (the host's `…m<k>`), whatever the retries. */
  async threadReminder(ref: SlackRef, card: Card, deliveryId: string): Promise<void> {
    await once(this.kv, `remind:${deliveryId}`, async () => {
      await slackCall('chat.postMessage', () =>
        this.client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text: renderReminder(card) }),
      );
    });
  }

  async threadReply(ref: SlackRef, review: CardReview, card: Card): Promise<void> {
    const key = `reply:${card.requestId}:${ref.channel}:${ref.ts}:${review.author}:${review.created}`;
    await once(this.kv, key, async () => {
      const { text, blocks } = renderReview(review, this.opts);
      await slackCall('chat.postMessage', () =>
        this.client.chat.postMessage({
          channel: ref.channel,
          thread_ts: ref.ts,
          text,
          blocks: blocks as never,
        }),
      );
    });
  }
}
