// Turns Slack interactions (a button click, a modal submission) into decisions for the host,
// whichever way they arrive (HTTP endpoint or Socket Mode). Slack wants an answer within 3
// seconds, so `handle` only validates and returns the acknowledgement; opening the modal,
// submitting the review and telling the clicker the outcome continue in the background.

import type { WebClient } from '@slack/web-api';
import {
  type DecisionOutcome,
  escapeSlackMrkdwn,
  type PersonRef,
  type PluginContext,
  STATUS_LABEL,
} from '../../src/plugin-sdk/index.js';
import { platformErrorCode, slackCall } from './client.js';
import type { SlackConfig } from './config.js';
import {
  ACTION_APPROVE,
  ACTION_DENY,
  REASON_ACTION_ID,
  REASON_BLOCK_ID,
  REVIEW_CALLBACK_ID,
  type ReviewModalMetadata,
  renderReviewModal,
} from './render.js';

type Json = Record<string, unknown>;
/** What to answer Slack with: nothing (an empty 200) or a JSON body such as modal errors. */
export type Ack = Json | undefined;

const REQUEST_ID = /^[A-Za-z0-9_-]{1,128}$/;
const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;
const MAX_REVIEW_REASON = 2000;
/** How long the click handler waits for the request's state before opening the modal anyway. */
const PRECHECK_MS = 1000;

const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class SlackInteractions {
  private readonly tasks = new Set<Promise<void>>();

  constructor(
    private readonly client: WebClient,
    private readonly ctx: PluginContext<SlackConfig>,
  ) {}

  /**
   * Validates one interaction payload and returns the acknowledgement; work continues in the
   * background. `notAfter`: the end of a signed request's replay window (HTTP interactions),
   * after which the host does not act on the decision.
   */
  async handle(payload: unknown, notAfter?: number): Promise<Ack> {
    const p = obj(payload);
    if (p.type === 'block_actions') return this.onClick(p);
    if (p.type === 'view_submission' && obj(p.view).callback_id === REVIEW_CALLBACK_ID)
      return this.onSubmit(p, notAfter);
    // Anything else (view_closed, shortcuts, other apps' actions) is acknowledged and ignored.
    return undefined;
  }

  /** Resolves once every background task started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  private background(what: string, work: () => Promise<void>): void {
    const task = work()
      .catch((err: unknown) => this.ctx.log.error({ err: String(err), what }, 'slack interaction failed'))
      .finally(() => this.tasks.delete(task));
    this.tasks.add(task);
  }

  private onClick(p: Json): Ack {
    const action = ((p.actions as Json[] | undefined) ?? [])[0];
    const actionId = str(action?.action_id);
    if (actionId !== ACTION_APPROVE && actionId !== ACTION_DENY) return undefined;
    const requestId = str(action?.value);
    const userId = str(obj(p.user).id);
    const triggerId = str(p.trigger_id);
    if (!requestId || !REQUEST_ID.test(requestId) || !userId || !SLACK_USER.test(userId) || !triggerId) {
      return undefined;
    }
    const container = obj(p.container);
    const meta: ReviewModalMetadata = {
      r: requestId,
      a: actionId === ACTION_APPROVE ? 'approve' : 'deny',
      ...(str(container.channel_id) ? { c: str(container.channel_id) } : {}),
      ...(str(container.message_ts) ? { t: str(container.message_ts) } : {}),
    };
    this.background('open review modal', async () => {
      const resolved = await this.resolvedState(requestId);
      if (resolved) {
        await this.tell(meta.c, userId, `This request is already ${resolved}; nothing to review.`, false);
        return;
      }
      const view = renderReviewModal(meta, this.ctx.config.review_reason === 'required');
      try {
        await slackCall('views.open', () =>
          this.client.views.open({ trigger_id: triggerId, view: view as never }),
        );
      } catch (err) {
        this.ctx.log.warn({ err: String(err) }, 'slack: could not open the review modal');
        await this.tell(meta.c, userId, 'Could not open the review dialog; please click again.', false);
      }
    });
    return undefined;
  }

  /** The request's resolved state label if it is no longer pending; undefined when pending or unknown in time. */
  private async resolvedState(requestId: string): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), PRECHECK_MS);
    });
    try {
      const card = await Promise.race([this.ctx.getCard(requestId).catch(() => null), timeout]);
      return card && card.state !== 'PENDING' ? STATUS_LABEL[card.state] : undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private async onSubmit(p: Json, notAfter: number | undefined): Promise<Ack> {
    const view = obj(p.view);
    const userId = str(obj(p.user).id);
    let meta: ReviewModalMetadata;
    try {
      meta = JSON.parse(str(view.private_metadata) ?? '') as ReviewModalMetadata;
    } catch {
      return undefined;
    }
    if (
      !userId ||
      !SLACK_USER.test(userId) ||
      !REQUEST_ID.test(str(meta.r) ?? '') ||
      !['approve', 'deny'].includes(meta.a)
    ) {
      return undefined;
    }
    const input = obj(obj(obj(obj(view.state).values)[REASON_BLOCK_ID])[REASON_ACTION_ID]);
    const reason = (str(input.value) ?? '').trim();
    if (this.ctx.config.review_reason === 'required' && reason === '') {
      return { response_action: 'errors', errors: { [REASON_BLOCK_ID]: 'Please give a reason.' } };
    }
    if (reason.length > MAX_REVIEW_REASON) {
      return {
        response_action: 'errors',
        errors: { [REASON_BLOCK_ID]: `At most ${MAX_REVIEW_REASON} characters.` },
      };
    }
    // A submission is decided once, even if it reaches us twice (replay, reconnect, two host replicas).
    const viewId = str(view.id) ?? '';
    if (!(await this.ctx.kv.setIfAbsent(`view:${viewId}:${meta.r}`, userId, 24 * 3600))) return undefined;
    this.background('submit review', async () => {
      let outcome: DecisionOutcome;
      try {
        outcome = await this.decide(userId, str(obj(p.user).username), meta, reason, notAfter);
      } catch (err) {
        this.ctx.log.error({ err: String(err), requestId: meta.r }, 'slack: review submission failed');
        outcome = {
          kind: 'error',
          message: 'Something went wrong and your review may not have been recorded; please try again.',
        };
      }
      await this.tell(meta.c, userId, outcome.message, outcome.kind === 'done');
    });
    return undefined;
  }

  private async decide(
    userId: string,
    username: string | undefined,
    meta: ReviewModalMetadata,
    reason: string,
    notAfter: number | undefined,
  ): Promise<DecisionOutcome> {
    const person = await this.personOf(userId);
    if (!person) {
      return {
        kind: 'unknown_user',
        message: 'Your Slack account is not linked to an accessbot user, so no review was recorded.',
      };
    }
    return this.ctx.decide({
      requestId: meta.r,
      action: meta.a,
      ...(reason ? { reason } : {}),
      person,
      personLabel: username ? `@${username}` : userId,
      ...(notAfter === undefined ? {} : { notAfter }),
    });
  }

  private async personOf(userId: string): Promise<PersonRef | undefined> {
    const mapping = this.ctx.config.user_mapping;
    if (mapping.by === 'trait') return { trait: mapping.trait, value: userId };
    try {
      const res = await slackCall('users.info', () => this.client.users.info({ user: userId }));
      const email = res.user?.profile?.email;
      return email ? { email } : undefined;
    } catch (err) {
      if (platformErrorCode((err as Error).cause) === 'user_not_found') return undefined;
      throw err;
    }
  }

  /** An ephemeral answer to the clicker, in the conversation they clicked in (else their DM). */
  private async tell(
    channel: string | undefined,
    userId: string,
    message: string,
    success: boolean,
  ): Promise<void> {
    const text = `${success ? '✅' : '⚠️'} ${escapeSlackMrkdwn(message)}`;
    if (channel) {
      await slackCall('chat.postEphemeral', () =>
        this.client.chat.postEphemeral({ channel, user: userId, text }),
      );
    } else {
      await slackCall('chat.postMessage', () => this.client.chat.postMessage({ channel: userId, text }));
    }
  }
}
