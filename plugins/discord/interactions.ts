// Turns Discord interactions into answers and decisions. Discord wants the answer to each
// interaction within 3 seconds: a PING is answered with a PONG, a click on Approve/Deny with
// the reason modal (response type 9), the modal's submission with the updated message (type 7)
// once the review is recorded, or with an ephemeral refusal (type 4, flag 64). A decision that
// takes longer than the budget is deferred (type 6) and finished through the interaction's
// webhook (edit the original message, or an ephemeral follow-up).

import type { APIEmbed } from 'discord-api-types/v10';
import { InteractionResponseType, InteractionType, MessageFlags, Routes } from 'discord-api-types/v10';
import {
  type Card,
  type DecisionOutcome,
  type PersonRef,
  type PluginContext,
  STATUS_LABEL,
  type Target,
} from '../../src/plugin-sdk/index.js';
import type { DiscordClient } from './client.js';
import { type DiscordConfig, mappingTrait, SNOWFLAKE } from './config.js';
import { escapeDiscord } from './escape.js';
import { footerKeyOf } from './messages.js';
import {
  CUSTOM_ID_PREFIX,
  type MessageBody,
  noMentions,
  REASON_INPUT_ID,
  REVIEW_REASON_MAX,
  renderMessage,
  renderReviewModal,
} from './render.js';

type Json = Record<string, unknown>;

/** What the endpoint answers Discord (an interaction response object). */
export type InteractionAnswer = Json;

/** Discord gives an interaction 3 s; the answer leaves well before (network, host overhead). */
export const ANSWER_BUDGET_MS = 2000;
/** How long a click waits for the request's state before opening the modal anyway. */
const PRECHECK_MS = 800;
/** Request ids are UUIDs; 64 keeps `accessbot:modal:approve:<id>` inside the 100-character custom_id. */
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BUTTON = new RegExp(`^${CUSTOM_ID_PREFIX}:(approve|deny):(.+)$`);
const MODAL = new RegExp(`^${CUSTOM_ID_PREFIX}:modal:(approve|deny):(.+)$`);
/** Replayed interaction ids are remembered this long (the replay window is at most an hour). */
const SEEN_TTL_SECONDS = 2 * 3600;

const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The clicker: `member.user` in a server, `user` in a DM. */
function clickerOf(p: Json): { id: string; username: string } | undefined {
  const user = obj(p.member).user ? obj(obj(p.member).user) : obj(p.user);
  const id = str(user.id);
  if (!id || !SNOWFLAKE.test(id)) return undefined;
  return { id, username: str(user.username) ?? id };
}

/** The typed reason: a Label's `component.value`, or a legacy action row's `components[].value`. */
export function reasonOf(data: Json): string {
  for (const entry of list(data.components)) {
    const e = obj(entry);
    const inner = e.component ? [obj(e.component)] : list(e.components).map(obj);
    for (const input of inner) if (input.custom_id === REASON_INPUT_ID) return str(input.value) ?? '';
  }
  return '';
}

function ephemeral(text: string, success = false): InteractionAnswer {
  return {
    type: InteractionResponseType.ChannelMessageWithSource,
    data: {
      content: `${success ? '✅' : '⚠️'} ${escapeDiscord(text)}`,
      flags: MessageFlags.Ephemeral,
      allowed_mentions: noMentions(),
    },
  };
}

/** Acknowledges without changing anything (a replay, or something not ours). */
const ACK: InteractionAnswer = { type: InteractionResponseType.DeferredMessageUpdate };

export class DiscordInteractions {
  private readonly tasks = new Set<Promise<void>>();

  constructor(
    private readonly client: DiscordClient,
    private readonly ctx: PluginContext<DiscordConfig>,
    private readonly budgetMs = ANSWER_BUDGET_MS,
  ) {}

  /** Resolves once every deferred answer started so far has been finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  async handle(payload: unknown): Promise<InteractionAnswer> {
    const p = obj(payload);
    if (p.type === InteractionType.Ping) return { type: InteractionResponseType.Pong };
    if (p.type !== InteractionType.MessageComponent && p.type !== InteractionType.ModalSubmit) return ACK;
    const interactionId = str(p.id);
    if (!interactionId || !SNOWFLAKE.test(interactionId)) return ACK;
    // One answer per interaction, even if a signed call reaches us twice (replay, two replicas).
    if (!(await this.ctx.kv.setIfAbsent(`interaction:${interactionId}`, '1', SEEN_TTL_SECONDS))) return ACK;
    const guildId = str(p.guild_id);
    if (guildId && guildId !== this.ctx.config.guild_id)
      return ephemeral('This bot takes reviews only in its own server.');
    return p.type === InteractionType.MessageComponent ? this.onClick(p) : this.onSubmit(p);
  }

  private async onClick(p: Json): Promise<InteractionAnswer> {
    const match = BUTTON.exec(str(obj(p.data).custom_id) ?? '');
    if (!match || !REQUEST_ID.test(match[2]!)) return ACK;
    const action = match[1] as 'approve' | 'deny';
    const requestId = match[2]!;
    if (!clickerOf(p)) return ephemeral('Discord did not say who clicked; nothing was recorded.');
    const card = await this.cardWithin(requestId, PRECHECK_MS);
    if (card && card.state !== 'PENDING')
      return ephemeral(`This request is already ${STATUS_LABEL[card.state]}; nothing to review.`);
    return {
      type: InteractionResponseType.Modal,
      data: renderReviewModal(action, requestId, this.ctx.config.review_reason === 'required'),
    };
  }

  private async onSubmit(p: Json): Promise<InteractionAnswer> {
    const data = obj(p.data);
    const match = MODAL.exec(str(data.custom_id) ?? '');
    if (!match || !REQUEST_ID.test(match[2]!)) return ACK;
    const action = match[1] as 'approve' | 'deny';
    const requestId = match[2]!;
    const clicker = clickerOf(p);
    if (!clicker) return ephemeral('Discord did not say who submitted this; nothing was recorded.');
    const reason = reasonOf(data).trim();
    if (this.ctx.config.review_reason === 'required' && reason === '')
      return ephemeral('A reason is required; nothing was recorded. Click the button again to give one.');
    if (Array.from(reason).length > REVIEW_REASON_MAX)
      return ephemeral(`The reason may have at most ${REVIEW_REASON_MAX} characters; nothing was recorded.`);

    const decision = this.decide(clicker, requestId, action, reason);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.budgetMs);
    });
    const first = await Promise.race([decision, late]);
    clearTimeout(timer);
    const message = obj(p.message);
    if (first !== 'late') return this.answerFor(first, message);
    // Too slow for Discord's 3 s: acknowledge now, finish through the interaction's webhook.
    const appId = str(p.application_id);
    const token = str(p.token);
    this.background(async () => {
      const outcome = await decision;
      if (!appId || !token) return;
      const answer = this.answerFor(outcome, message);
      if (answer.type === InteractionResponseType.UpdateMessage) {
        await this.client.call('edit original', (rest) =>
          rest.patch(Routes.webhookMessage(appId, token, '@original'), { body: answer.data, auth: false }),
        );
      } else {
        await this.client.call('follow up', (rest) =>
          rest.post(Routes.webhook(appId, token), { body: answer.data, auth: false }),
        );
      }
    });
    return ACK;
  }

  /** Done → the clicked message as it stands now (type 7); anything else → an ephemeral sentence. */
  private answerFor(outcome: DecisionOutcome, message: Json): InteractionAnswer {
    if (outcome.kind !== 'done' || !outcome.card) return ephemeral(outcome.message, outcome.kind === 'done');
    const reviewerCopy: Target = { id: str(message.channel_id) ?? '', kind: 'channel', audience: 'reviewer' };
    // The footer's key survives the update, so a later look-up still finds the message.
    const key = footerKeyOf({ embeds: list(message.embeds) as APIEmbed[] });
    const body: MessageBody = renderMessage(
      reviewerCopy,
      outcome.card,
      { reasonMaxLength: this.ctx.config.reason_max_length },
      key ? { deliveryKey: key } : {},
    );
    return { type: InteractionResponseType.UpdateMessage, data: body };
  }

  private async decide(
    clicker: { id: string; username: string },
    requestId: string,
    action: 'approve' | 'deny',
    reason: string,
  ): Promise<DecisionOutcome> {
    const trait = mappingTrait(this.ctx.config);
    const value = this.ctx.config.user_mapping.by === 'id' ? clicker.id : clicker.username.toLowerCase();
    const person: PersonRef = { trait, value };
    try {
      return await this.ctx.decide({
        requestId,
        action,
        ...(reason ? { reason } : {}),
        person,
        personLabel: `@${clicker.username}`,
      });
    } catch (err) {
      this.ctx.log.error({ err: String(err), requestId }, 'discord: review submission failed');
      return {
        kind: 'error',
        message: 'Something went wrong and your review may not have been recorded; please try again.',
      };
    }
  }

  private async cardWithin(requestId: string, ms: number): Promise<Card | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ms);
    });
    try {
      return await Promise.race([this.ctx.getCard(requestId).catch(() => null), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private background(work: () => Promise<void>): void {
    const task = work()
      .catch((err: unknown) => this.ctx.log.error({ err: String(err) }, 'discord: deferred answer failed'))
      .finally(() => this.tasks.delete(task));
    this.tasks.add(task);
  }
}
