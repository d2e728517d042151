// The two inbound routes Mattermost calls: a button click (`/actions`) and the reason dialog's
// submission (`/dialog`). Mattermost signs neither, so each is checked against the MAC we put in
// the button's context or the dialog's state (action-auth.ts) before anything else is done with
// it. A valid click opens the dialog at once (its trigger id lives about 30 seconds); a valid
// submission becomes a decision by the mapped person, and the API decides whether it counts.

import {
  type DecisionOutcome,
  errorResponse,
  type InboundRequest,
  type InboundResponse,
  type InboundRoute,
  jsonResponse,
  type PersonRef,
  type PluginContext,
  STATUS_LABEL,
} from '../../src/plugin-sdk/index.js';
import {
  DIALOG_TTL_SECONDS,
  type RefusalCode,
  signDialogState,
  verifyButton,
  verifyDialogState,
} from './action-auth.js';
import { type MattermostClient, mattermostCall, statusOf } from './client.js';
import type { MattermostConfig } from './config.js';
import { DIALOG_CALLBACK_ID, REASON_ELEMENT, REVIEW_REASON_MAX, renderDialog } from './render.js';

type Json = Record<string, unknown>;

/** How long the click handler waits for the request's state before opening the dialog anyway. */
const PRECHECK_MS = 1000;
const MATTERMOST_ID = /^[a-z0-9]{26}$/;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function parseJson(req: InboundRequest): Json | undefined {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (type !== 'application/json') return undefined;
  try {
    const body: unknown = JSON.parse(req.rawBody.toString('utf8'));
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Json) : undefined;
  } catch {
    return undefined;
  }
}

export class MattermostInteractions {
  constructor(
    private readonly client: MattermostClient,
    private readonly ctx: PluginContext<MattermostConfig>,
    private readonly secret: string,
    private readonly callbackBase: string,
  ) {}

  routes(): InboundRoute[] {
    return [
      { method: 'POST', path: '/actions', handler: (req) => this.onClick(req) },
      { method: 'POST', path: '/dialog', handler: (req) => this.onSubmit(req) },
    ];
  }

  private refuse(code: RefusalCode, why: string): InboundResponse {
    this.ctx.log.warn({ why }, 'mattermost: refused a call that Mattermost did not relay as sent');
    return errorResponse(code, `invalid Mattermost call: ${why}`);
  }

  private async onClick(req: InboundRequest): Promise<InboundResponse> {
    const body = parseJson(req);
    if (!body) return errorResponse('BAD_REQUEST', 'expected a JSON object (application/json)');
    const channelId = str(body.channel_id) ?? '';
    const postId = str(body.post_id) ?? '';
    const verified = verifyButton(this.secret, body.context, { channelId, postId });
    if (!verified.ok) return this.refuse(verified.code, verified.why);
    const userId = str(body.user_id);
    const triggerId = str(body.trigger_id);
    if (!userId || !MATTERMOST_ID.test(userId) || !triggerId) {
      return errorResponse('BAD_REQUEST', 'a click needs user_id and trigger_id');
    }
    const { r: requestId, a: action } = verified.value;
    const resolved = await this.resolvedState(requestId);
    if (resolved) {
      return jsonResponse(200, { ephemeral_text: `This request is already ${resolved}; nothing to review.` });
    }
    const state = signDialogState(this.secret, {
      r: requestId,
      a: action,
      u: userId,
      c: channelId,
      p: postId,
    });
    try {
      await mattermostCall('openDialog', () =>
        this.client.openDialog({
          trigger_id: triggerId,
          url: `${this.callbackBase}/dialog`,
          dialog: renderDialog(
            action,
            requestId,
            JSON.stringify(state),
            this.ctx.config.review_reason === 'required',
          ),
        }),
      );
    } catch (err) {
      this.ctx.log.warn({ err: String(err) }, 'mattermost: could not open the review dialog');
      return jsonResponse(200, { ephemeral_text: 'Could not open the review dialog; please click again.' });
    }
    return jsonResponse(200, {});
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

  private async onSubmit(req: InboundRequest): Promise<InboundResponse> {
    const body = parseJson(req);
    if (!body) return errorResponse('BAD_REQUEST', 'expected a JSON object (application/json)');
    if (body.type !== 'dialog_submission' || body.callback_id !== DIALOG_CALLBACK_ID) {
      return errorResponse('BAD_REQUEST', 'not a review dialog submission');
    }
    const verified = verifyDialogState(this.secret, body.state, body.user_id);
    if (!verified.ok) return this.refuse(verified.code, verified.why);
    if (body.cancelled === true) return jsonResponse(200, {});
    const state = verified.value;
    const submission = (
      typeof body.submission === 'object' && body.submission !== null ? body.submission : {}
    ) as Json;
    const reason = (str(submission[REASON_ELEMENT]) ?? '').trim();
    if (this.ctx.config.review_reason === 'required' && reason === '') {
      return jsonResponse(200, { errors: { [REASON_ELEMENT]: 'Please give a reason.' } });
    }
    if (Array.from(reason).length > REVIEW_REASON_MAX) {
      return jsonResponse(200, { errors: { [REASON_ELEMENT]: `At most ${REVIEW_REASON_MAX} characters.` } });
    }
    // Each dialog is decided once, whoever replays its state and however many hosts there are.
    const nonceKey = `dialog-nonce:${state.n}`;
    if (!(await this.ctx.kv.setIfAbsent(nonceKey, state.u, DIALOG_TTL_SECONDS + 60))) {
      return errorResponse('CONFLICT', 'this dialog was already submitted; click the button again');
    }
    let outcome: DecisionOutcome;
    try {
      outcome = await this.decide(state.u, state.r, state.a, reason);
    } catch (err) {
      this.ctx.log.error({ err: String(err), requestId: state.r }, 'mattermost: review submission failed');
      outcome = {
        kind: 'error',
        message: 'Something went wrong and no review was recorded; please try again.',
      };
    }
    if (outcome.kind === 'done') return jsonResponse(200, {});
    // Nothing was recorded: the person may submit the same dialog again (e.g. once given the right).
    await this.ctx.kv.delete(nonceKey);
    return jsonResponse(200, { error: outcome.message });
  }

  private async decide(
    userId: string,
    requestId: string,
    action: 'approve' | 'deny',
    reason: string,
  ): Promise<DecisionOutcome> {
    const found = await this.personOf(userId);
    if (!found) {
      return {
        kind: 'unknown_user',
        message: 'Your Mattermost account could not be matched to an access user, so no review was recorded.',
      };
    }
    return this.ctx.decide({
      requestId,
      action,
      ...(reason ? { reason } : {}),
      person: found.person,
      personLabel: `@${found.username}`,
    });
  }

  private async personOf(userId: string): Promise<{ person: PersonRef; username: string } | undefined> {
    let user: { username?: string; email?: string };
    try {
      user = await mattermostCall('getUser', () => this.client.getUser(userId));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
    const username = user.username ?? userId;
    const mapping = this.ctx.config.user_mapping;
    if (mapping.by === 'trait') return { person: { trait: mapping.trait, value: username }, username };
    return user.email ? { person: { email: user.email }, username } : undefined;
  }
}
