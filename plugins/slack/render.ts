// Card → Slack Block Kit. Every piece of user-controlled text goes through `fit`, which cuts
// it (with a visible marker) before escaping it for mrkdwn, so `<!channel>`, `<@U…>` and
// `<https://evil|click>` show literally and the block stays inside Slack's size limits.

import {
  type Card,
  type CardReview,
  escapeSlackMrkdwn,
  STATUS_LABEL,
  type Target,
  truncate,
} from '../../src/plugin-sdk/index.js';

type Block = Record<string, unknown>;

export const ACTION_APPROVE = 'accessbot_approve';
export const ACTION_DENY = 'accessbot_deny';
export const REVIEW_CALLBACK_ID = 'accessbot_review';
export const REASON_BLOCK_ID = 'reason';
export const REASON_ACTION_ID = 'reason';

/** Slack's limits (api.slack.com/reference/block-kit). */
const FIELD_MAX = 2000;
const SECTION_MAX = 3000;
/** Notification/fallback text: Slack truncates beyond 4000 characters. */
const FALLBACK_MAX = 3000;

export interface RenderOptions {
  reasonMaxLength: number;
  /** False when nothing receives clicks (`interactions: none`): a button that does nothing misleads. */
  buttons?: boolean;
}

/** Cuts user text to `max` raw characters, escapes it, and cuts again if escaping grew it past `hardMax`. */
export function fitText(text: string, max: number, hardMax = SECTION_MAX): string {
  let limit = max;
  for (;;) {
    const escaped = escapeSlackMrkdwn(truncate(text, limit));
    if (escaped.length <= hardMax || limit <= 20) return escaped.slice(0, hardMax);
    limit = Math.floor(limit * 0.8);
  }
}

/** Slack shows `<!date^…>` in each reader's own time zone; the ISO text is the fallback. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return fitText(iso, 60);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fitText(new Date(ms).toISOString(), 60)}>`;
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const plain = (text: string) => ({ type: 'plain_text', text, emoji: true });

/** The status line shown first on every message, e.g. `*⏳ PENDING*`. */
export function statusLine(card: Card): string {
  return `*${STATUS_LABEL[card.state]}*`;
}

function whatRequested(card: Card): { label: string; list: string[] } {
  return card.resources.length > 0
    ? { label: 'Resources', list: card.resources }
    : { label: 'Roles', list: card.roles };
}

/**
 * Who decided and why. When the deciding review met a threshold, every review on the winning
 * side counts (two approvals approve together); an administrator's resolution names only them.
 */
function decisionOf(card: Card): { who: string[]; reasons: string[] } {
  const resolution = card.resolution!;
  const side = card.reviews.filter((r) => r.decision === resolution.state);
  const byReview = resolution.by === undefined || side.some((r) => r.author === resolution.by);
  if (byReview && side.length > 0) {
    return { who: side.map((r) => r.author), reasons: side.filter((r) => r.reason).map((r) => r.reason) };
  }
  return {
    who: resolution.by ? [resolution.by] : [],
    reasons: resolution.reason ? [resolution.reason] : [],
  };
}

function resolutionText(card: Card, reasonMax: number): string | undefined {
  if (!card.resolution) return undefined;
  if (card.resolution.state === 'EXPIRED') return '*Resolution*\nExpired without a decision.';
  const verb = card.resolution.state === 'APPROVED' ? 'Approved' : 'Denied';
  const { who, reasons } = decisionOf(card);
  const byText = who.length > 0 ? ` by ${who.map((w) => `*${fitText(w, 100)}*`).join(', ')}` : '';
  const why =
    reasons.length > 0 ? `\n>${fitText(reasons.join('; '), reasonMax).replaceAll('\n', '\n>')}` : '';
  return `*Resolution*\n${verb}${byText}${why}`;
}

function reviewsSummary(card: Card): string | undefined {
  if (card.reviews.length === 0) return undefined;
  const approvals = card.reviews.filter((r) => r.decision === 'APPROVED').length;
  const denials = card.reviews.length - approvals;
  const names = card.reviews
    .slice(0, 20)
    .map((r) => `${r.decision === 'APPROVED' ? '✅' : '❌'} ${fitText(r.author, 100)}`)
    .join(', ');
  return `Reviews: ${approvals} approval${approvals === 1 ? '' : 's'}, ${denials} denial${denials === 1 ? '' : 's'} (${names})`;
}

/** Buttons are for reviewers of a pending request only; the requester's copy never has them. */
export function showsButtons(target: Target, card: Card): boolean {
  return target.audience === 'reviewer' && card.state === 'PENDING' && card.actions.length > 0;
}

export function renderMessage(
  target: Target,
  card: Card,
  opts: RenderOptions,
): { text: string; blocks: Block[] } {
  const { label, list } = whatRequested(card);
  const requester = fitText(card.requester.name, 200);
  const listText = fitText(list.join(', '), FIELD_MAX - 50, FIELD_MAX - 20);
  const intro =
    target.audience === 'requester' ? 'Your access request' : `Access request from *${requester}*`;
  const blocks: Block[] = [
    { type: 'section', block_id: 'status', text: mrkdwn(`${statusLine(card)}\n${intro}`) },
    {
      type: 'section',
      block_id: 'details',
      fields: [
        mrkdwn(`*Requester*\n${requester}`),
        mrkdwn(`*${label}*\n${listText || '_none_'}`),
        mrkdwn(`*Request ID*\n${fitText(card.requestId, 100)}`),
        mrkdwn(
          card.state === 'APPROVED'
            ? `*Access until*\n${slackDate(card.accessExpires)}`
            : `*Request expires*\n${slackDate(card.requestExpires)}`,
        ),
      ],
    },
    {
      type: 'section',
      block_id: 'reason',
      text: mrkdwn(`*Reason*\n${card.reason ? fitText(card.reason, opts.reasonMaxLength) : '_none given_'}`),
    },
  ];
  const resolution = resolutionText(card, opts.reasonMaxLength);
  if (resolution) blocks.push({ type: 'section', block_id: 'resolution', text: mrkdwn(resolution) });
  const summary = reviewsSummary(card);
  if (summary) blocks.push({ type: 'context', block_id: 'reviews', elements: [mrkdwn(summary)] });
  for (const link of card.links.slice(0, 5)) {
    if (!/^https?:\/\//.test(link.url)) continue;
    blocks.push({
      type: 'context',
      elements: [mrkdwn(`<${fitText(link.url, 500)}|${fitText(link.label, 100)}>`)],
    });
  }
  if (card.state === 'PENDING') {
    blocks.push({
      type: 'context',
      block_id: 'cli',
      elements: [mrkdwn(`Review from the CLI: \`${fitText(card.cliHint, 300)}\``)],
    });
  }
  if (opts.buttons !== false && showsButtons(target, card)) {
    blocks.push({
      type: 'actions',
      block_id: 'accessbot_actions',
      elements: [
        ...(card.actions.includes('approve')
          ? [
              {
                type: 'button',
                action_id: ACTION_APPROVE,
                text: plain('Approve'),
                style: 'primary',
                value: card.requestId,
              },
            ]
          : []),
        ...(card.actions.includes('deny')
          ? [
              {
                type: 'button',
                action_id: ACTION_DENY,
                text: plain('Deny'),
                style: 'danger',
                value: card.requestId,
              },
            ]
          : []),
      ],
    });
  }
  const text = `${STATUS_LABEL[card.state]}: access request from ${requester} for ${label.toLowerCase()} ${fitText(list.join(', '), 500, 1500)}`;
  return { text: text.slice(0, FALLBACK_MAX), blocks };
}

/**
 * The message of a request deleted from the API: the same details under a WITHDRAWN status,
 * with no buttons and no CLI hint (there is nothing left to review).
 */
export function renderWithdrawn(
  target: Target,
  card: Card,
  opts: RenderOptions,
): { text: string; blocks: Block[] } {
  const { text, blocks } = renderMessage(target, card, { ...opts, buttons: false });
  const intro = target.audience === 'requester' ? 'Your access request' : 'Access request';
  const kept = blocks
    .filter((b) => b.block_id !== 'cli' && b.block_id !== 'accessbot_actions')
    .map((b) =>
      b.block_id === 'status'
        ? { ...b, text: mrkdwn(`*🗑️ WITHDRAWN*\n${intro} deleted by an administrator; nothing to review.`) }
        : b,
    );
  return { text: `WITHDRAWN: ${text.slice(text.indexOf(':') + 2)}`.slice(0, FALLBACK_MAX), blocks: kept };
}

/** The thread reply for one review: who, decision, reason. */
export function renderReview(review: CardReview, opts: RenderOptions): { text: string; blocks: Block[] } {
  const verb = review.decision === 'APPROVED' ? '✅ approved' : '❌ denied';
  const who = fitText(review.author, 200);
  const reason = review.reason
    ? `\n>${fitText(review.reason, opts.reasonMaxLength).replaceAll('\n', '\n>')}`
    : ' (no reason given)';
  const text = `*${who}* ${verb} this request${reason}`;
  return { text, blocks: [{ type: 'section', text: mrkdwn(text) }] };
}

/** How long something has waited, coarsely: `45 min`, `3 h 20 min`, `2 d 4 h`. */
export function waitedFor(ms: number): string {
  const min = Math.max(1, Math.floor(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  return h % 24 ? `${Math.floor(h / 24)} d ${h % 24} h` : `${Math.floor(h / 24)} d`;
}

/** The thread reminder while a request waits for a review (no user text in it). */
export function renderReminder(card: Card, nowMs = Date.now()): string {
  const waited = waitedFor(nowMs - Date.parse(card.created));
  return `⏰ Still waiting for a review after ${waited}. Approve or deny with the buttons above, or \`${card.cliHint.replaceAll('`', '')}\`.`;
}

/** The DM the requester gets when their request is resolved. */
export function renderOutcome(card: Card, opts: RenderOptions): string {
  const { label, list } = whatRequested(card);
  const resolution = resolutionText(card, opts.reasonMaxLength)?.replace('*Resolution*\n', '') ?? '';
  return `${statusLine(card)} Your request for ${label.toLowerCase()} ${fitText(list.join(', '), 500, 1500)} (${fitText(card.requestId, 100)}): ${resolution}`;
}

export interface ReviewModalMetadata {
  /** Request ID. */
  r: string;
  /** Action. */
  a: 'approve' | 'deny';
  /** Channel and message the click came from (for the ephemeral answer). */
  c?: string;
  t?: string;
}

export function renderReviewModal(meta: ReviewModalMetadata, reasonRequired: boolean): Block {
  const approve = meta.a === 'approve';
  return {
    type: 'modal',
    callback_id: REVIEW_CALLBACK_ID,
    private_metadata: JSON.stringify(meta),
    title: plain(approve ? 'Approve request' : 'Deny request'),
    submit: plain(approve ? 'Approve' : 'Deny'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'section',
        text: mrkdwn(
          `You are about to *${approve ? 'approve' : 'deny'}* request \`${fitText(meta.r, 100)}\`.`,
        ),
      },
      {
        type: 'input',
        block_id: REASON_BLOCK_ID,
        optional: !reasonRequired,
        label: plain(reasonRequired ? 'Reason (required)' : 'Reason (optional)'),
        element: { type: 'plain_text_input', action_id: REASON_ACTION_ID, multiline: true, max_length: 2000 },
      },
    ],
  };
}
