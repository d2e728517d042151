// A click in the card, as the `adaptiveCard/action` invoke (Action.Execute) or, from clients
// without Universal Actions, as a message carrying the Action.Submit data. The clicker is mapped
// to an access user (their email/UPN from the conversation member, or a trait holding their Entra
// object id) and the host submits the review as them; the API decides. The invoke is answered
// with the refreshed card and a line saying what happened, within Teams' few seconds: a decision
// still running then is left to finish and the card says it is being recorded.

import { type Activity, ActivityTypes } from '@microsoft/agents-activity';
import type { ConnectorClient, TurnContext } from '@microsoft/agents-hosting';
import type { Card, DecisionOutcome, PersonRef, PluginContext } from '../../src/plugin-sdk/index.js';
import {
  CARD_CONTENT_TYPE,
  type CardOptions,
  type Notice,
  REASON_INPUT_ID,
  renderCard,
  SUBMIT_MARKER,
} from './card.js';
import { escapeCardText } from './card-text.js';
import { MAX_REVIEW_REASON, type TeamsConfig } from './config.js';
import type { Conversations } from './conversations.js';

/** Teams gives up on an invoke after about 5 s; answer well before. */
const INVOKE_BUDGET_MS = 3500;
/** What is left of the budget for reading the card when the decision did not bring it. */
const CARD_LOOKUP_MS = 800;
const REQUEST_ID = /^[A-Za-z0-9_-]{1,128}$/;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

interface Click {
  requestId: string;
  action: 'approve' | 'deny';
  reason: string;
}

/** The click an invoke or a fallback submission carries, or undefined when it is not ours. */
export function clickOf(activity: Activity): Click | undefined {
  let verb: unknown;
  let data: Json;
  if (activity.type === ActivityTypes.Invoke && activity.name === 'adaptiveCard/action') {
    const action = obj(obj(activity.value).action);
    verb = action.verb;
    data = obj(action.data);
  } else if (activity.type === ActivityTypes.Message && obj(activity.value)[SUBMIT_MARKER]) {
    data = obj(activity.value);
    verb = data[SUBMIT_MARKER];
  } else return undefined;
  const requestId = str(data.requestId);
  if ((verb !== 'approve' && verb !== 'deny') || !requestId || !REQUEST_ID.test(requestId)) return undefined;
  return { requestId, action: verb, reason: (str(data[REASON_INPUT_ID]) ?? '').trim() };
}

export class TeamsDecisions {
  private readonly tasks = new Set<Promise<unknown>>();

  constructor(
    private readonly ctx: PluginContext<TeamsConfig>,
    private readonly conversations: Conversations,
    private readonly cardOptions: CardOptions,
    private readonly connectorKey: symbol,
  ) {}

  /** Waits for decisions still running after their invoke was answered (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  async handle(context: TurnContext, click: Click): Promise<void> {
    const activity = context.activity;
    const outcome = await this.decideInTime(context, click);
    const card = outcome.card ?? (await this.currentCard(click.requestId));
    const notice: Notice = { ok: outcome.kind === 'done', message: outcome.message };
    if (activity.type === ActivityTypes.Invoke) {
      const value = card
        ? renderCard(card, this.cardOptions, { notice })
        : {
            type: 'AdaptiveCard',
            version: '1.5',
            body: [{ type: 'TextBlock', text: escapeCardText(notice.message), wrap: true }],
          };
      await context.sendActivity({
        type: ActivityTypes.InvokeResponse,
        value: { status: 200, body: { statusCode: 200, type: CARD_CONTENT_TYPE, value } },
      } as unknown as Activity);
      return;
    }
    // Action.Submit from an older client: the answer is a message in the conversation.
    await context.sendActivity({
      type: ActivityTypes.Message,
      text: `${notice.ok ? '✅' : '⚠️'} ${escapeCardText(notice.message)}`,
      textFormat: 'markdown',
    } as unknown as Activity);
  }

  /** The request as it stands, if the API answers within the invoke's remaining time. */
  private async currentCard(requestId: string): Promise<Card | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), CARD_LOOKUP_MS);
    });
    try {
      return await Promise.race([this.ctx.getCard(requestId).catch(() => null), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async decideInTime(context: TurnContext, click: Click): Promise<DecisionOutcome> {
    if (click.action === 'deny' && this.ctx.config.deny_reason === 'required' && click.reason === '') {
      return { kind: 'error', message: 'Please type a reason before denying; no review was recorded.' };
    }
    if (click.reason.length > MAX_REVIEW_REASON) {
      return {
        kind: 'error',
        message: `The reason is too long (at most ${MAX_REVIEW_REASON} characters); no review was recorded.`,
      };
    }
    const decision = this.decide(context, click).catch((err: unknown): DecisionOutcome => {
      this.ctx.log.error({ err: String(err), requestId: click.requestId }, 'teams: review submission failed');
      return {
        kind: 'error',
        message: 'Something went wrong and your review may not have been recorded; please try again.',
      };
    });
    this.tasks.add(decision);
    void decision.finally(() => this.tasks.delete(decision));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<DecisionOutcome>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({ kind: 'done', message: 'Your review is being recorded; the card will update shortly.' }),
        INVOKE_BUDGET_MS,
      );
    });
    try {
      return await Promise.race([decision, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async decide(context: TurnContext, click: Click): Promise<DecisionOutcome> {
    const person = await this.personOf(context);
    if (!person) {
      return {
        kind: 'unknown_user',
        message: 'Your Teams account is not linked to an accessbot user, so no review was recorded.',
      };
    }
    const from = context.activity.from;
    return this.ctx.decide({
      requestId: click.requestId,
      action: click.action,
      ...(click.reason ? { reason: click.reason } : {}),
      person,
      personLabel: from?.name ?? from?.id ?? 'a Teams user',
    });
  }

  private async personOf(context: TurnContext): Promise<PersonRef | undefined> {
    const { from, conversation } = context.activity;
    const mapping = this.ctx.config.user_mapping;
    if (mapping.by === 'trait') {
      const aad = from?.aadObjectId;
      return aad ? { trait: mapping.trait, value: aad } : undefined;
    }
    if (!from?.id || !conversation?.id) return undefined;
    const client = context.turnState.get<ConnectorClient>(this.connectorKey);
    const email = await this.conversations.emailOf(client, from.id, conversation.id);
    return email ? { email } : undefined;
  }
}
