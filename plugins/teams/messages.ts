// Posting and editing: one card per target (a new thread in a channel, a message in a 1:1
// chat), the card replaced for everyone (PUT of the activity) on every change, one reply per
// review in the card's thread, reminders there too, and the requester's outcome message.
// Every card and reply carries its delivery's marker, so a retry whose earlier try may have
// posted (its answer lost) finds that post in Graph instead of posting again.

import type { Activity } from '@microsoft/agents-activity';
import {
  type Card,
  type CardReview,
  DEFAULT_REQUEST_RETENTION_SECONDS,
  type DeliveryContext,
  type PluginKv,
  permanent,
  type Target,
} from '../../src/plugin-sdk/index.js';
import { attachmentOf, type CardOptions, renderCard, replyCard, reviewReplyText, summaryOf } from './card.js';
import { escapeCardText } from './card-text.js';
import type { WithConnector } from './connector.js';
import type { Conversation, Conversations } from './conversations.js';
import { deliveryMarker, type GraphLocator, type GraphLookup } from './graph.js';

/** What the host keeps for a posted card. */
export interface TeamsRef {
  serviceUrl: string;
  conversationId: string;
  activityId: string;
  kind: 'channel' | 'personal';
  /** The delivery that posted it: its marker stays on the card through every edit. */
  deliveryId?: string;
  /** Where Graph reads the conversation, when known (to find a lost reply). */
  graph?: GraphLocator;
}

export function asTeamsRef(ref: Record<string, unknown>): TeamsRef {
  const { serviceUrl, conversationId, activityId, kind, deliveryId, graph } = ref;
  if (
    typeof serviceUrl !== 'string' ||
    typeof conversationId !== 'string' ||
    typeof activityId !== 'string' ||
    (kind !== 'channel' && kind !== 'personal')
  ) {
    throw permanent(`not a Teams message reference: ${JSON.stringify(ref)}`);
  }
  return {
    serviceUrl,
    conversationId,
    activityId,
    kind,
    ...(typeof deliveryId === 'string' ? { deliveryId } : {}),
    ...(graph && typeof graph === 'object' ? { graph: graph as GraphLocator } : {}),
  };
}

function message(fields: Record<string, unknown>): Activity {
  return { type: 'message', ...fields } as unknown as Activity;
}

export class TeamsMessages {
  constructor(
    private readonly connector: WithConnector,
    private readonly conversations: Conversations,
    private readonly graph: GraphLookup,
    private readonly kv: PluginKv,
    private readonly opts: CardOptions,
    /** How long a `posted:` memo is kept: as long as the host keeps the request's records. */
    private readonly memoSeconds = DEFAULT_REQUEST_RETENTION_SECONDS,
  ) {}

  private cardActivity(card: Card, deliveryId: string | undefined, withdrawn = false): Activity {
    return message({
      summary: summaryOf(card, withdrawn),
      attachments: [
        attachmentOf(
          renderCard(card, this.opts, {
            withdrawn,
            ...(deliveryId ? { marker: deliveryMarker(deliveryId) } : {}),
          }),
        ),
      ],
    });
  }

  /**
   * Posts the card. A retry after the host lost the post's ref (it died between the post and
   * storing it) edits the card remembered under the delivery id; a retry whose earlier try's
   * answer was lost on the way finds that card in Graph by its marker and edits it.
   */
  async post(target: Target, card: Card, delivery: DeliveryContext): Promise<TeamsRef> {
    const { deliveryId } = delivery;
    const memoKey = `posted:${deliveryId}`;
    const remembered = await this.kv.get(memoKey);
    if (remembered) {
      const ref = asTeamsRef(JSON.parse(remembered) as Record<string, unknown>);
      await this.edit(ref, card);
      return ref;
    }
    const conversation: Conversation = await this.conversations.of(target);
    const graph = await this.conversations.graphLocator(target, conversation).catch(() => undefined);
    const refOf = (activityId: string): TeamsRef => ({
      serviceUrl: conversation.serviceUrl,
      conversationId: conversation.conversationId,
      activityId,
      kind: conversation.kind,
      deliveryId,
      ...(graph ? { graph } : {}),
    });
    if (delivery.mayHaveBeenSent && graph) {
      const found = await this.graph.findPosted(graph, deliveryMarker(deliveryId));
      if (found) {
        const ref = refOf(found);
        await this.edit(ref, card);
        await this.kv.set(memoKey, JSON.stringify(ref), this.memoSeconds);
        return ref;
      }
    }
    const activity = this.cardActivity(card, deliveryId);
    const sent = await this.connector(conversation.serviceUrl, 'post the card', async (client) => {
      try {
        return await client.sendToConversation(conversation.conversationId, activity);
      } catch (err) {
        // The app was removed from there: look the conversation up again on the retry.
        const status = (err as { status?: number }).status;
        if (status === 403 || status === 404) await this.conversations.forget(target);
        throw err;
      }
    });
    if (!sent?.id) throw permanent('Teams answered the post without an activity id');
    const ref = refOf(sent.id);
    await this.kv.set(memoKey, JSON.stringify(ref), this.memoSeconds);
    return ref;
  }

  /** Replaces the card for everyone who sees it. */
  async edit(ref: TeamsRef, card: Card, withdrawn = false): Promise<void> {
    const activity = this.cardActivity(card, ref.deliveryId, withdrawn);
    (activity as unknown as Record<string, unknown>).id = ref.activityId;
    await this.connector(ref.serviceUrl, 'update the card', (client) =>
      client.updateActivity(ref.conversationId, ref.activityId, activity),
    );
  }

  /**
   * A message under the card: in its thread in a channel, after it in a 1:1 chat. When an
   * earlier try may have posted it, Graph is asked first.
   */
  async underCard(ref: TeamsRef, markdown: string, delivery: DeliveryContext): Promise<void> {
    const marker = deliveryMarker(delivery.deliveryId);
    if (delivery.mayHaveBeenSent && ref.graph) {
      const thread = ref.graph.type === 'channel' ? ref.activityId : undefined;
      if (await this.graph.findPosted(ref.graph, marker, thread)) return;
    }
    const threaded =
      ref.kind === 'channel' ? `${ref.conversationId};messageid=${ref.activityId}` : ref.conversationId;
    const activity = message({
      summary: markdown.slice(0, 200),
      attachments: [attachmentOf(replyCard(markdown, marker))],
      replyToId: ref.activityId,
    });
    await this.connector(ref.serviceUrl, 'reply under the card', (client) =>
      client.sendToConversation(threaded, activity),
    );
  }

  async reviewReply(ref: TeamsRef, review: CardReview, delivery: DeliveryContext): Promise<void> {
    await this.underCard(ref, reviewReplyText(review), delivery);
  }

  async reminder(ref: TeamsRef, card: Card, delivery: DeliveryContext): Promise<void> {
    await this.underCard(
      ref,
      `⏰ Still waiting for a review: access request by ${escapeCardText(card.requester.name)} (${card.requestId})`,
      delivery,
    );
  }

  /** The requester's own message about the outcome (an edit does not notify). */
  async outcome(ref: TeamsRef, card: Card, delivery: DeliveryContext): Promise<void> {
    const by = card.resolution?.by ? ` by ${escapeCardText(card.resolution.by)}` : '';
    await this.underCard(
      ref,
      `Your access request ${card.requestId} is ${summaryOf(card).split(':')[0]}${by}.`,
      delivery,
    );
  }
}
