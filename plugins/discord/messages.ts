// Posting and editing messages: the root message per recipient (a DM channel for a person),
// edits on every change, one thread per request holding one message per review (a reply under
// the message in DMs, where Discord has no threads), reminders in the same place.

import { createHash } from 'node:crypto';
import type { APIChannel, APIMessage, APIUser } from 'discord-api-types/v10';
import { Routes, ThreadAutoArchiveDuration } from 'discord-api-types/v10';
import {
  type Card,
  type CardReview,
  type DeliveryContext,
  permanent,
  type Target,
} from '../../src/plugin-sdk/index.js';
import { DISCORD_ERROR, type DiscordClient, discordErrorCode } from './client.js';
import {
  type MessageBody,
  type RenderOptions,
  renderMessage,
  renderOutcome,
  renderReminder,
  renderReview,
  threadName,
} from './render.js';

export interface DiscordRef {
  channel_id: string;
  message_id: string;
  /** A DM: no threads there, reviews are replies under the message. */
  dm: boolean;
  /** The footer's key, kept so every edit shows the same one. */
  key: string;
}

/** Recent channel messages searched for an earlier try's post (Discord's page maximum). */
const LOOKBACK = 100;
/** Discord's `nonce` holds at most 25 characters. */
const NONCE_LENGTH = 25;

/**
 * A short, stable key for a delivery id: the message's `nonce` (Discord drops a second post
 * with the same nonce for a few minutes when `enforce_nonce` is set) and the footer's `ref`,
 * which a later retry finds in the channel's history.
 */
export function deliveryKey(deliveryId: string): string {
  return createHash('sha256').update(deliveryId).digest('base64url').slice(0, NONCE_LENGTH);
}

/** The small grey line (Discord's `-#` subtext) that carries a thread message's key. */
export const refLine = (key: string) => `-# ref ${key}`;

/** The `ref` key in the footer of a request message. */
export function footerKeyOf(message: Pick<APIMessage, 'embeds'>): string | undefined {
  const footer = message.embeds?.[0]?.footer?.text ?? '';
  return /· ref ([A-Za-z0-9_-]{1,25})$/.exec(footer)?.[1];
}

export class DiscordMessages {
  private readonly dmChannels = new Map<string, string>();
  private botUserId?: string;

  constructor(
    private readonly client: DiscordClient,
    private readonly opts: RenderOptions & { threads: boolean },
  ) {}

  /** The bot's own user (also the health check: it needs a valid token). */
  async botUser(): Promise<APIUser> {
    const user = await this.client.call<APIUser>('get bot user', (rest) => rest.get(Routes.user('@me')));
    this.botUserId = user.id;
    return user;
  }

  /**
   * Posts the root message. A retry whose first try may have reached Discord looks through the
   * channel's latest messages for the delivery's key before posting; the post itself carries the
   * key as an enforced nonce, so even a lookup that missed cannot make a second message within
   * Discord's nonce window.
   */
  async post(target: Target, card: Card, delivery: DeliveryContext): Promise<DiscordRef> {
    const dm = target.kind === 'user';
    const channelId = dm ? await this.dmChannel(target.id) : target.id;
    const key = deliveryKey(delivery.deliveryId);
    if (delivery.mayHaveBeenSent) {
      const found = await this.findPosted(channelId, (m) => footerKeyOf(m) === key);
      if (found) {
        const ref: DiscordRef = { channel_id: channelId, message_id: found, dm, key };
        await this.edit(target, ref, card);
        return ref;
      }
    }
    const body = renderMessage(target, card, this.opts, { deliveryKey: key });
    const message = await this.send('post message', channelId, body, key);
    return { channel_id: message.channel_id, message_id: message.id, dm, key };
  }

  async edit(target: Target, ref: DiscordRef, card: Card): Promise<void> {
    await this.patch(ref, renderMessage(target, card, this.opts, { deliveryKey: ref.key }));
  }

  async withdrawn(target: Target, ref: DiscordRef, card: Card): Promise<void> {
    await this.patch(
      ref,
      renderMessage(target, card, this.opts, {
        withdrawn: true,
        ...(ref.key ? { deliveryKey: ref.key } : {}),
      }),
    );
  }

  async reply(ref: DiscordRef, review: CardReview, card: Card, delivery: DeliveryContext): Promise<void> {
    await this.inThread(ref, card, renderReview(review, this.opts), delivery);
  }

  async remind(ref: DiscordRef, card: Card, delivery: DeliveryContext): Promise<void> {
    await this.inThread(ref, card, renderReminder(card), delivery);
  }

  /** The requester's own message about the outcome (an edit does not notify), under their copy. */
  async outcome(ref: DiscordRef, card: Card, delivery: DeliveryContext): Promise<void> {
    await this.inThread(ref, card, renderOutcome(card, this.opts), delivery);
  }

  /** The message of a DM-opened DM channel (Discord answers the existing one when there is one). */
  private async dmChannel(userId: string): Promise<string> {
    const known = this.dmChannels.get(userId);
    if (known) return known;
    let channel: APIChannel;
    try {
      channel = await this.client.call<APIChannel>('open DM', (rest) =>
        rest.post(Routes.userChannels(), { body: { recipient_id: userId } }),
      );
    } catch (err) {
      if (discordErrorCode(err) === DISCORD_ERROR.unknownUser)
        throw permanent(`Discord has no user ${userId}`, err);
      throw err;
    }
    this.dmChannels.set(userId, channel.id);
    return channel.id;
  }

  /**
   * The id of the bot's latest message in `channelId` that `matches`, or null. A refusal (no
   * Read Message History permission, a thread not started yet) also answers null, so the post
   * goes ahead and its nonce still guards it; anything the host may retry (rate limit, outage)
   * is thrown.
   */
  private async findPosted(channelId: string, matches: (m: APIMessage) => boolean): Promise<string | null> {
    let messages: APIMessage[];
    try {
      const botId = this.botUserId ?? (await this.botUser()).id;
      messages = await this.client.call<APIMessage[]>('read recent messages', (rest) =>
        rest.get(Routes.channelMessages(channelId), {
          query: new URLSearchParams({ limit: String(LOOKBACK) }),
        }),
      );
      const hit = messages.find((m) => m.author?.id === botId && matches(m));
      return hit?.id ?? null;
    } catch (err) {
      if ((err as { kind?: string }).kind === 'permanent') return null;
      throw err;
    }
  }

  private async send(
    what: string,
    channelId: string,
    body: MessageBody & { message_reference?: unknown },
    nonceKey?: string,
  ): Promise<APIMessage> {
    return this.client.call<APIMessage>(what, (rest) =>
      rest.post(Routes.channelMessages(channelId), {
        body: { ...body, ...(nonceKey ? { nonce: nonceKey, enforce_nonce: true } : {}) },
      }),
    );
  }

  private async patch(ref: DiscordRef, body: MessageBody): Promise<void> {
    await this.client.call('edit message', (rest) =>
      rest.patch(Routes.channelMessage(ref.channel_id, ref.message_id), { body }),
    );
  }

  /**
   * Posts into the request's thread: in a server channel the thread started on the message
   * (its id is the message's id; started on first use), in a DM a reply under the message. The
   * message ends with a small `ref <key>` line from its delivery id: a retry that may follow a
   * landed post looks for it first, and the post carries the key as its enforced nonce.
   */
  private async inThread(
    ref: DiscordRef,
    card: Card,
    body: MessageBody,
    delivery: DeliveryContext,
  ): Promise<void> {
    const key = deliveryKey(delivery.deliveryId);
    const keyed: MessageBody = { ...body, content: `${body.content ?? ''}\n${refLine(key)}` };
    const where = ref.dm || !this.opts.threads ? ref.channel_id : ref.message_id;
    if (delivery.mayHaveBeenSent && (await this.findPosted(where, (m) => m.content.endsWith(refLine(key)))))
      return;
    if (where === ref.channel_id) {
      await this.send(
        'reply',
        ref.channel_id,
        { ...keyed, message_reference: { message_id: ref.message_id, fail_if_not_exists: false } },
        key,
      );
      return;
    }
    try {
      await this.send('post in thread', ref.message_id, keyed, key);
      return;
    } catch (err) {
      if (discordErrorCode(err) !== DISCORD_ERROR.unknownChannel) throw err;
    }
    await this.startThread(ref, card);
    await this.send('post in thread', ref.message_id, keyed, key);
  }

  private async startThread(ref: DiscordRef, card: Card): Promise<void> {
    try {
      await this.client.call('start thread', (rest) =>
        rest.post(Routes.threads(ref.channel_id, ref.message_id), {
          body: { name: threadName(card), auto_archive_duration: ThreadAutoArchiveDuration.OneWeek },
        }),
      );
    } catch (err) {
      // Another replica (or an earlier try whose answer was lost) started it: use that one.
      if (discordErrorCode(err) !== DISCORD_ERROR.threadAlreadyCreated) throw err;
    }
  }
}
