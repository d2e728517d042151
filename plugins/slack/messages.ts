// Posting and editing messages: the root message per recipient, edits on every change,
// one thread reply per review, and the requester's outcome DM.

import type { WebClient } from '@slack/web-api';
import {
  type Card,
  type CardReview,
  DEFAULT_REQUEST_RETENTION_SECONDS,
  type DeliveryContext,
  type Logger,
  type MessageRef,
  PluginError,
  type PluginKv,
  permanent,
  type Target,
} from '../../src/plugin-sdk/index.js';
import { platformErrorCode, slackCall } from './client.js';
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

/** Message metadata type that marks our messages (with the delivery and request ids). */
const DELIVERY_EVENT = 'accessbot_request';
/** Recent channel messages (or thread replies) searched for an earlier try's post. */
const HISTORY_LOOKBACK = 200;

/** Metadata carrying the host's delivery id: how a retry recognises a message it already posted. */
function deliveryMetadata(deliveryId: string, requestId: string) {
  return { event_type: DELIVERY_EVENT, event_payload: { delivery_id: deliveryId, request_id: requestId } };
}

/** conversations.list pages (of Slack's maximum 1000) read to find a channel by name. */
const CHANNEL_LIST_PAGE = 1000;
const CHANNEL_LIST_MAX_PAGES = 20;

type SlackMessageWithMetadata = { ts?: string; metadata?: { event_type?: string; event_payload?: unknown } };

function carriesDelivery(message: SlackMessageWithMetadata, deliveryId: string): boolean {
  return (
    message.metadata?.event_type === DELIVERY_EVENT &&
    (message.metadata.event_payload as { delivery_id?: unknown } | undefined)?.delivery_id === deliveryId
  );
}

/**
 * Slack's answers that refuse what a message holds, not where it goes or who sends it: the
 * message is rendered again, shorter, once.
 */
const REFUSED_CONTENT = new Set(['invalid_blocks', 'invalid_blocks_format', 'msg_too_long']);

function refusedContent(err: unknown): string | undefined {
  if (!(err instanceof PluginError) || err.kind !== 'permanent') return undefined;
  const code = platformErrorCode(err.cause);
  return code && REFUSED_CONTENT.has(code) ? code : undefined;
}

export class SlackMessages {
  private readonly channelIds = new Map<string, string>();

  private readonly compactOpts: RenderOptions;

  constructor(
    private readonly client: WebClient,
    private readonly kv: PluginKv,
    private readonly opts: RenderOptions,
    private readonly log?: Logger,
    /** How long a `posted:` memo is kept: as long as the host keeps the request's records. */
    private readonly memoSeconds = DEFAULT_REQUEST_RETENTION_SECONDS,
  ) {
    this.compactOpts = { ...opts, compact: true };
  }

  /**
   * Sends the full rendering; when Slack refuses its content (`invalid_blocks`, …), sends the
   * compact one instead, so the request is still shown. If Slack refuses that too, the error is
   * permanent and names Slack's answer: the delivery lands in the dead-letter list with it.
   */
  private async withFallback<T>(
    what: string,
    about: Record<string, unknown>,
    send: (opts: RenderOptions) => Promise<T>,
  ): Promise<T> {
    try {
      return await send(this.opts);
    } catch (err) {
      const code = refusedContent(err);
      if (!code) throw err;
      this.log?.warn({ ...about, slackError: code }, `slack refused the ${what}; sending a shortened one`);
      try {
        return await send(this.compactOpts);
      } catch (again) {
        const second = refusedContent(again);
        if (!second) throw again;
        throw permanent(
          `${what}: Slack refused the message and its shortened fallback (Slack answered ${code}, then ${second})`,
          again,
        );
      }
    }
  }

  /**
   * Posts the root message. Slack takes no idempotency key, so a retry must not simply post
   * again: the ref is remembered under the host's delivery id (a retry after the host failed to
   * store it edits that message), and every post carries the delivery id in its message
   * metadata, so a retry whose first try's answer was lost finds the message in the channel's
   * recent history and edits it instead of posting a second one.
   */
  async post(target: Target, card: Card, delivery: DeliveryContext): Promise<SlackRef> {
    const { deliveryId } = delivery;
    const memoKey = `posted:${deliveryId}`;
    const remembered = await this.kv.get(memoKey);
    const found = remembered
      ? asSlackRef(JSON.parse(remembered) as MessageRef)
      : delivery.mayHaveBeenSent
        ? await this.findPosted(target, deliveryId)
        : null;
    if (found) {
      await this.edit(target, found, card);
      if (!remembered) await this.kv.set(memoKey, JSON.stringify(found), this.memoSeconds);
      return found;
    }
    const res = await this.withFallback(
      'root message',
      { requestId: card.requestId, target: target.id },
      (opts) => {
        const { text, blocks } = renderMessage(target, card, opts);
        return slackCall('chat.postMessage', () =>
          this.client.chat.postMessage({
            channel: target.id,
            text,
            blocks: blocks as never,
            unfurl_links: false,
            metadata: deliveryMetadata(deliveryId, card.requestId),
          }),
        );
      },
    );
    if (!res.channel || !res.ts) throw permanent('chat.postMessage answered without channel or ts');
    const ref = { channel: res.channel, ts: res.ts };
    await this.rememberChannelId(target.id, res.channel);
    await this.kv.set(memoKey, JSON.stringify(ref), this.memoSeconds);
    return ref;
  }

  /**
   * The message an earlier try posted, from the conversation's latest messages (needs the
   * `channels:history` / `groups:history` / `im:history` scope, and `channels:read` /
   * `groups:read` to find a `#name` never posted to before). Without the scope, or on any
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
      const hit = (res.messages ?? []).find((m) => carriesDelivery(m, deliveryId));
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
    await this.withFallback('message edit', { requestId: card.requestId, ts: ref.ts }, (opts) => {
      const { text, blocks } = renderMessage(target, card, opts);
      return slackCall('chat.update', () =>
        this.client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks: blocks as never }),
      );
    });
  }

  /** The request was deleted: the message shows it as withdrawn, without buttons. */
  async withdrawn(target: Target, ref: SlackRef, card: Card): Promise<void> {
    await this.withFallback('withdrawal edit', { requestId: card.requestId, ts: ref.ts }, (opts) => {
      const { text, blocks } = renderWithdrawn(target, card, opts);
      return slackCall('chat.update', () =>
        this.client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks: blocks as never }),
      );
    });
  }

  /** An edit does not notify: the requester hears about the outcome in a new DM. */
  async outcomeNotice(ref: SlackRef, card: Card, delivery: DeliveryContext): Promise<void> {
    await this.postUnlessPosted('outcome message', ref, undefined, delivery, card.requestId, (opts) => ({
      text: renderOutcome(card, opts),
    }));
  }

  /** A reminder in the thread of a reviewer message. */
  async threadReminder(ref: SlackRef, card: Card, delivery: DeliveryContext): Promise<void> {
    await this.postUnlessPosted('thread reminder', ref, ref.ts, delivery, card.requestId, () => ({
      text: renderReminder(card),
    }));
  }

  async threadReply(ref: SlackRef, review: CardReview, card: Card, delivery: DeliveryContext): Promise<void> {
    await this.postUnlessPosted('thread reply', ref, ref.ts, delivery, card.requestId, (opts) =>
      renderReview(review, opts),
    );
  }

  /**
   * Posts one message in `ref`'s conversation (in its thread when `threadTs` is given), carrying
   * the delivery id in its metadata. The host calls once per delivery and marks it sent after
   * this returns; when an earlier try may have reached Slack (`mayHaveBeenSent`), the thread or
   * conversation is searched for that try's message first, since Slack takes no idempotency key.
   */
  private async postUnlessPosted(
    what: string,
    ref: SlackRef,
    threadTs: string | undefined,
    delivery: DeliveryContext,
    requestId: string,
    render: (opts: RenderOptions) => { text: string; blocks?: unknown[] },
  ): Promise<void> {
    if (
      delivery.mayHaveBeenSent &&
      (await this.findInConversation(ref.channel, threadTs, delivery.deliveryId))
    )
      return;
    await this.withFallback(what, { requestId, ts: threadTs ?? ref.ts }, (opts) => {
      const { text, blocks } = render(opts);
      return slackCall('chat.postMessage', () =>
        this.client.chat.postMessage({
          channel: ref.channel,
          text,
          ...(blocks ? { blocks: blocks as never } : {}),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          metadata: deliveryMetadata(delivery.deliveryId, requestId),
        }),
      );
    });
  }

  /**
   * Whether a message carrying `deliveryId` is among a thread's replies (or a conversation's
   * latest messages). On an error it answers false and the caller posts: a possible duplicate
   * rather than a lost message.
   */
  private async findInConversation(
    channel: string,
    threadTs: string | undefined,
    deliveryId: string,
  ): Promise<boolean> {
    try {
      const res = threadTs
        ? await this.client.conversations.replies({
            channel,
            ts: threadTs,
            limit: HISTORY_LOOKBACK,
            include_all_metadata: true,
          })
        : await this.client.conversations.history({
            channel,
            limit: HISTORY_LOOKBACK,
            include_all_metadata: true,
          });
      return (res.messages ?? []).some((m) => carriesDelivery(m as SlackMessageWithMetadata, deliveryId));
    } catch {
      return false;
    }
  }
}
