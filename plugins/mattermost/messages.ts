// Posting and editing: the root post per target (a channel, or the direct channel between the
// bot and a person), an edit on every change, one thread reply per review (`root_id`), a
// reminder in the thread. Mattermost takes no idempotency key that outlives a few seconds, so a
// retry whose first try may have landed looks for it by the delivery id the post carries.

import type { Post, PostList } from '@mattermost/types/posts';
import {
  type Card,
  type CardReview,
  type DeliveryContext,
  PluginError,
  type PluginKv,
  permanent,
  type Target,
} from '../../src/plugin-sdk/index.js';
import { signButton } from './action-auth.js';
import { type MattermostClient, mattermostCall } from './client.js';
import {
  type ButtonSigner,
  PROP_DELIVERY_ID,
  type RenderedPost,
  type RenderOptions,
  renderOutcome,
  renderPost,
  renderReminder,
  renderReview,
} from './render.js';

export interface MattermostRef {
  /** Channel id the post is in. */
  channel: string;
  /** Post id. */
  post: string;
  /** The host's delivery id the post carries (kept in its props on every edit). */
  delivery?: string;
}

/** Recent posts of a channel searched for an earlier try's post (Mattermost's largest page). */
const LOOKBACK_POSTS = 200;
/** Buttons stay clickable this long after the request's own expiry (clocks, slow clicks). */
const BUTTON_GRACE_SECONDS = 3600;
const DM_CHANNEL_TTL_SECONDS = 30 * 24 * 3600;

export interface MessagesOptions extends RenderOptions {
  /** Base URL Mattermost posts clicks to (`…/hooks/mattermost`); undefined = no buttons. */
  callbackBase?: string;
  actionSecret?: string;
}

export class MattermostMessages {
  private botUserId?: Promise<string>;
  private readonly dmChannels = new Map<string, string>();

  constructor(
    private readonly client: MattermostClient,
    private readonly kv: PluginKv,
    private readonly opts: MessagesOptions,
  ) {}

  /** The bot's own user id (for direct channels), asked once. */
  botId(): Promise<string> {
    this.botUserId ??= mattermostCall('getMe', () => this.client.getMe()).then(
      (me) => me.id,
      (err: unknown) => {
        this.botUserId = undefined;
        throw err;
      },
    );
    return this.botUserId;
  }

  /** The channel a target's posts go to: the channel itself, or the bot's direct channel with the person. */
  async channelOf(target: Target): Promise<string> {
    if (target.kind !== 'user') return target.id;
    const known = this.dmChannels.get(target.id) ?? (await this.kv.get(`dm:${target.id}`));
    if (known) {
      this.dmChannels.set(target.id, known);
      return known;
    }
    const bot = await this.botId();
    const channel = await mattermostCall('createDirectChannel', () =>
      this.client.createDirectChannel([bot, target.id]),
    );
    this.dmChannels.set(target.id, channel.id);
    await this.kv.set(`dm:${target.id}`, channel.id, DM_CHANNEL_TTL_SECONDS);
    return channel.id;
  }

  private signer(card: Card, channel: string, post: string): ButtonSigner | undefined {
    const { callbackBase, actionSecret } = this.opts;
    if (!callbackBase || !actionSecret) return undefined;
    const expires = Date.parse(card.requestExpires);
    const e =
      Math.floor((Number.isFinite(expires) ? Math.max(expires, Date.now()) : Date.now()) / 1000) +
      BUTTON_GRACE_SECONDS;
    return {
      url: `${callbackBase}/actions`,
      sign: (a) => signButton(actionSecret, { r: card.requestId, a, c: channel, p: post, e }),
    };
  }

  private render(target: Target, card: Card, ref: MattermostRef, withdrawn = false): RenderedPost {
    return renderPost(
      target,
      card,
      this.opts,
      this.signer(card, ref.channel, ref.post),
      ref.delivery ? { deliveryId: ref.delivery } : {},
      withdrawn,
    );
  }

  /**
   * Posts the root message. When the host says an earlier try may have reached Mattermost (its
   * answer was lost), the channel's latest posts are searched for the delivery id first; a post
   * found is edited to the current card and becomes the ref.
   */
  async post(target: Target, card: Card, delivery: DeliveryContext): Promise<MattermostRef> {
    const channel = await this.channelOf(target);
    const deliveryId = delivery.deliveryId;
    if (delivery.mayHaveBeenSent) {
      const found = await this.findPosted(channel, deliveryId);
      if (found) {
        const ref = { channel, post: found, delivery: deliveryId };
        await this.edit(target, ref, card);
        return ref;
      }
    }
    const unsent = { channel, post: '', delivery: deliveryId };
    const rendered = this.render(target, card, unsent);
    const created = await mattermostCall('createPost', () =>
      this.client.createPost({ channel_id: channel, message: rendered.message, props: rendered.props }),
    );
    if (!created?.id) throw permanent('createPost answered without a post id');
    return { ...unsent, post: created.id };
  }

  /**
   * The root post an earlier try made, among the channel's latest posts. A failure that may
   * pass (rate limit, outage) is thrown so the retry comes later; any other failure (no right
   * to read the channel) answers null and the caller posts: a possible duplicate rather than a
   * lost message.
   */
  private async findPosted(channel: string, deliveryId: string): Promise<string | null> {
    // Root posts and outcome notices are top-level; thread replies are looked for in their thread.
    let list: PostList;
    try {
      list = await mattermostCall('getPosts', () => this.client.getPosts(channel, 0, LOOKBACK_POSTS));
    } catch (err) {
      if (err instanceof PluginError && (err.kind === 'transient' || err.kind === 'rate_limited')) throw err;
      return null;
    }
    for (const id of list.order ?? []) {
      const post: Post | undefined = list.posts?.[id];
      if (post && !post.root_id && post.props?.[PROP_DELIVERY_ID] === deliveryId) return post.id;
    }
    return null;
  }

  async edit(target: Target, ref: MattermostRef, card: Card): Promise<void> {
    await this.patch(ref, this.render(target, card, ref));
  }

  /** The request was deleted: the post shows it as withdrawn, without buttons. */
  async withdrawn(target: Target, ref: MattermostRef, card: Card): Promise<void> {
    await this.patch(ref, this.render(target, card, ref, true));
  }

  private async patch(ref: MattermostRef, rendered: RenderedPost): Promise<void> {
    await mattermostCall('patchPost', () =>
      this.client.patchPost({ id: ref.post, message: rendered.message, props: rendered.props as never }),
    );
  }

  async threadReply(ref: MattermostRef, review: CardReview, delivery: DeliveryContext): Promise<void> {
    await this.inThread(ref, renderReview(review, this.opts), delivery);
  }

  async threadReminder(ref: MattermostRef, card: Card, delivery: DeliveryContext): Promise<void> {
    await this.inThread(ref, renderReminder(card), delivery);
  }

  /**
   * The requester's outcome, as a post of its own in their direct channel (an edit notifies
   * nobody). A retry whose first try may have landed looks for it among the channel's posts.
   */
  async outcomeNotice(ref: MattermostRef, card: Card, delivery: DeliveryContext): Promise<void> {
    if (delivery.mayHaveBeenSent && (await this.findPosted(ref.channel, delivery.deliveryId))) return;
    await this.create(ref.channel, '', renderOutcome(card, this.opts), delivery.deliveryId);
  }

  /** A reply in the post's thread; a retry whose first try may have landed looks in the thread first. */
  private async inThread(ref: MattermostRef, message: string, delivery: DeliveryContext): Promise<void> {
    if (delivery.mayHaveBeenSent) {
      const thread = await mattermostCall('getPostThread', () => this.client.getPostThread(ref.post, false));
      const landed = Object.values(thread.posts ?? {}).some(
        (p) => p.root_id === ref.post && p.props?.[PROP_DELIVERY_ID] === delivery.deliveryId,
      );
      if (landed) return;
    }
    await this.create(ref.channel, ref.post, message, delivery.deliveryId);
  }

  /** A post carrying its delivery id, so that a retry can recognise it. */
  private async create(channel: string, rootId: string, message: string, deliveryId: string): Promise<void> {
    await mattermostCall('createPost', () =>
      this.client.createPost({
        channel_id: channel,
        ...(rootId ? { root_id: rootId } : {}),
        message,
        props: { [PROP_DELIVERY_ID]: deliveryId } as never,
      }),
    );
  }
}
