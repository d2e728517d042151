// Posting and editing: one card per target (a new thread in a channel, a message in a 1:1
// chat), the card replaced for everyone (PUT of the activity) on every change, one reply per
// review in the card's thread, reminders there too, and the requester's outcome message.

import type { Activity } from '@microsoft/agents-activity';
import {
  type Card,
  type CardReview,
  type DeliveryContext,
  type PluginKv,
  permanent,
  type Target,
} from '../../src/plugin-sdk/index.js';
import { attachmentOf, type CardOptions, renderCard, reviewReplyText, summaryOf } from './card.js';
import { escapeCardText } from './card-text.js';
import type { WithConnector } from './connector.js';
import type { Conversation, Conversations } from './conversations.js';

/** What the host keeps for a posted card. */
export interface TeamsRef {
  serviceUrl: string;
  conversationId: string;
  activityId: string;
  kind: 'channel' | 'personal';
}

export function asTeamsRef(ref: Record<string, unknown>): TeamsRef {
  const { serviceUrl, conversationId, activityId, kind } = ref;
  if (
    typeof serviceUrl !== 'string' ||
    typeof conversationId !== 'string' ||
    typeof activityId !== 'string' ||
    (kind !== 'channel' && kind !== 'personal')
  ) {
    throw permanent(`not a Teams message reference: ${JSON.stringify(ref)}`);
  }
  return { serviceUrl, conversationId, activityId, kind };
}

const POSTED_KEEP_SECONDS = 30 * 24 * 3600;

function message(fields: Record<string, unknown>): Activity {
  return { type: 'message', ...fields } as unknown as Activity;
}

export class TeamsMessages {
  constructor(
    private readonly connector: WithConnector,
    private readonly conversations: Conversations,
    private readonly kv: PluginKv,
    private readonly opts: CardOptions,
  ) {}

  private cardActivity(card: Card, withdrawn = false): Activity {
    return message({
      summary: summaryOf(card, withdrawn),
      attachments: [attachmentOf(renderCard(card, this.opts, { withdrawn }))],
    });
  }

  /**
   * Posts the card. A retry after the host lost the answer's ref (it died between the post and
   * storing it) edits the card this delivery already posted, remembered under the delivery id.
   */
  async post(target: Target, card: Card, delivery: DeliveryContext): Promise<TeamsRef> {
    const memoKey = `posted:${delivery.deliveryId}`;
    const remembered = await this.kv.get(memoKey);
    if (remembered) {
      const ref = asTeamsRef(JSON.parse(remembered) as Record<string, unknown>);
      await this.edit(ref, card);
      return ref;
    }
    const conversation: Conversation = await this.conversations.of(target);
    const activity = this.cardActivity(card);
    const sent = await this.connector(conversation.serviceUrl, 'post the card', async (client) => {
      try {
        return await client.sendToConversation(conversation.conversationId, activity);
      } catch (err) {
        // The app was removed from there: look the conversation up again on the retry.
        if ((err as { status?: number }).status === 403 || (err as { status?: number }).status === 404)
          await this.conversations.forget(target);
        throw err;
      }
    });
    if (!sent?.id) throw permanent('Teams answered the post without an activity id');
    const ref: TeamsRef = {
      serviceUrl: conversation.serviceUrl,
      conversationId: conversation.conversationId,
      activityId: sent.id,
      kind: conversation.kind,
    };
    await this.kv.set(memoKey, JSON.stringify(ref), POSTED_KEEP_SECONDS);
    return ref;
  }

  /** Replaces the card for everyone who sees it. */
  async edit(ref: TeamsRef, card: Card, withdrawn = false): Promise<void> {
    const activity = this.cardActivity(card, withdrawn);
    (activity as unknown as Record<string, unknown>).id = ref.activityId;
    await this.connector(ref.serviceUrl, 'update the card', (client) =>
      client.updateActivity(ref.conversationId, ref.activityId, activity),
    );
  }

  /** A text message under the card: in its thread in a channel, after it in a 1:1 chat. */
  async underCard(ref: TeamsRef, markdown: string): Promise<void> {
    const threaded =
      ref.kind === 'channel' ? `${ref.conversationId};messageid=${ref.activityId}` : ref.conversationId;
    const activity = message({ text: markdown, textFormat: 'markdown', replyToId: ref.activityId });
    await this.connector(ref.serviceUrl, 'reply under the card', (client) =>
      client.sendToConversation(threaded, activity),
    );
  }

  async reviewReply(ref: TeamsRef, review: CardReview): Promise<void> {
    await this.underCard(ref, reviewReplyText(review));
  }

  async reminder(ref: TeamsRef, card: Card): Promise<void> {
    await this.underCard(
      ref,
      `⏰ Still waiting for a review: access request by ${escapeCardText(card.requester.name)} (${escapeCardText(card.requestId)})`,
    );
  }

  /** The requester's own message about the outcome (an edit does not notify). */
  async outcome(ref: TeamsRef, card: Card): Promise<void> {
    const by = card.resolution?.by ? ` by ${escapeCardText(card.resolution.by)}` : '';
    await this.underCard(
      ref,
      `Your access request ${escapeCardText(card.requestId)} is ${summaryOf(card).split(':')[0]}${by}.`,
    );
  }
}
