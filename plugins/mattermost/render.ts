// Card → a Mattermost post: a one-line message (what notifications and the channel list show)
// and one message attachment with the status colour, the details, the reviews so far and the
// Approve/Deny buttons. Every piece of user text is cut, then escaped (escape.ts). The whole
// post is rendered here and nowhere else, because Mattermost replaces a post's text and props
// wholesale on every edit.

import { type Card, type CardReview, STATUS_LABEL, type Target } from '../../src/plugin-sdk/index.js';
import type { ButtonContext, ReviewAction } from './action-auth.js';
import { escapeBlock, escapeInline, plainInline, quoted } from './escape.js';

/** Mattermost's limit on a post's message (runes). */
export const POST_MESSAGE_MAX = 16_383;
/** Action ids must be alphanumeric: Mattermost answers 404 to a click on any other id. */
export const ACTION_ID: Record<ReviewAction, string> = { approve: 'approve', deny: 'deny' };
export const DIALOG_CALLBACK_ID = 'accessbotreview';
export const REASON_ELEMENT = 'reason';
/** Longest reason the dialog accepts (Mattermost allows textareas up to 3000). */
export const REVIEW_REASON_MAX = 2000;
/** Custom post props that mark our root posts (found again by delivery id after a lost answer). */
export const PROP_REQUEST_ID = 'accessbot_request_id';
export const PROP_DELIVERY_ID = 'accessbot_delivery_id';

const NAME_MAX = 200;
const LIST_MAX = 2000;
const REVIEWS_SHOWN = 20;

const COLOR: Record<Card['state'] | 'WITHDRAWN', string> = {
  PENDING: '#f2c744',
  APPROVED: '#2eb67d',
  DENIED: '#e01e5a',
  EXPIRED: '#868686',
  WITHDRAWN: '#868686',
};
export const WITHDRAWN_LABEL = '🗑️ WITHDRAWN';

export interface RenderOptions {
  reasonMaxLength: number;
  /** False when nothing receives clicks (`interactions: none`): a button that does nothing misleads. */
  buttons: boolean;
}

/** What a button needs to be clickable: where Mattermost posts the click, and a signed context. */
export interface ButtonSigner {
  url: string;
  sign(action: ReviewAction): ButtonContext;
}

interface Field {
  title: string;
  value: string;
  short: boolean;
}

export interface ServerPostAction {
  id: string;
  type: 'button';
  name: string;
  style: 'success' | 'danger';
  integration: { url: string; context: ButtonContext };
}

export interface Attachment {
  fallback: string;
  color: string;
  title: string;
  fields: Field[];
  footer?: string;
  actions?: ServerPostAction[];
}

export interface RenderedPost {
  message: string;
  props: Record<string, unknown> & { attachments: Attachment[] };
}

function whatRequested(card: Card): { label: string; list: string[] } {
  return card.resources.length > 0
    ? { label: 'Resources', list: card.resources }
    : { label: 'Roles', list: card.roles };
}

/**
 * A request id as inline code. Markdown escapes do not apply inside code (a `\-` would show as
 * typed), and nothing in code is a mention or a link, so the id is only kept to its own alphabet.
 */
export function idCode(id: string): string {
  return `\`${id.replace(/[^A-Za-z0-9_.:-]/g, '').slice(0, 100)}\``;
}

/** ISO time as `2026-11-29 21:05 UTC` (Mattermost markdown has no per-reader dates). */
export function utc(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return escapeInline(iso, 60);
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Who decided and why: every review on the winning side, or the administrator alone. */
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
  if (card.resolution.state === 'EXPIRED') return 'Expired without a decision.';
  const verb = card.resolution.state === 'APPROVED' ? 'Approved' : 'Denied';
  const { who, reasons } = decisionOf(card);
  const by = who.length > 0 ? ` by ${who.map((w) => `**${escapeInline(w, NAME_MAX)}**`).join(', ')}` : '';
  const why = reasons.length > 0 ? `\n${quoted(escapeBlock(reasons.join('; '), reasonMax))}` : '';
  return `${verb}${by}${why}`;
}

function reviewsText(card: Card): string | undefined {
  if (card.reviews.length === 0) return undefined;
  const approvals = card.reviews.filter((r) => r.decision === 'APPROVED').length;
  const denials = card.reviews.length - approvals;
  const names = card.reviews
    .slice(0, REVIEWS_SHOWN)
    .map((r) => `${r.decision === 'APPROVED' ? '✅' : '❌'} ${escapeInline(r.author, NAME_MAX)}`)
    .join(', ');
  const more = card.reviews.length > REVIEWS_SHOWN ? `, and ${card.reviews.length - REVIEWS_SHOWN} more` : '';
  return `${approvals} approval${approvals === 1 ? '' : 's'}, ${denials} denial${denials === 1 ? '' : 's'}: ${names}${more}`;
}

/** Buttons are for reviewers of a pending request only; the requester's copy never has them. */
export function showsButtons(target: Target, card: Card): boolean {
  return target.audience === 'reviewer' && card.state === 'PENDING' && card.actions.length > 0;
}

/** The status shown first, e.g. `⏳ PENDING`; withdrawn requests have their own. */
export function statusOf(card: Card, withdrawn: boolean): string {
  return withdrawn ? WITHDRAWN_LABEL : STATUS_LABEL[card.state];
}

export function renderPost(
  target: Target,
  card: Card,
  opts: RenderOptions,
  buttons: ButtonSigner | undefined,
  marks: { deliveryId?: string },
  withdrawn = false,
): RenderedPost {
  const { label, list } = whatRequested(card);
  const requester = escapeInline(card.requester.name, NAME_MAX);
  const listText = escapeInline(list.join(', '), LIST_MAX);
  const status = statusOf(card, withdrawn);
  const intro =
    target.audience === 'requester'
      ? `Your access request for ${label.toLowerCase()} ${listText}`
      : `Access request from **${requester}** for ${label.toLowerCase()} ${listText}`;
  const fields: Field[] = [
    { title: 'Requester', value: requester, short: true },
    { title: label, value: listText || '_none_', short: true },
    {
      title: 'Request ID',
      value: idCode(card.requestId),
      short: true,
    },
    card.state === 'APPROVED'
      ? { title: 'Access until', value: utc(card.accessExpires), short: true }
      : { title: 'Request expires', value: utc(card.requestExpires), short: true },
    {
      title: 'Reason',
      value: card.reason ? escapeBlock(card.reason, opts.reasonMaxLength) : '_none given_',
      short: false,
    },
  ];
  if (withdrawn) {
    fields.push({
      title: 'Withdrawn',
      value: 'Deleted by an administrator; nothing to review.',
      short: false,
    });
  } else {
    const resolution = resolutionText(card, opts.reasonMaxLength);
    if (resolution) fields.push({ title: 'Resolution', value: resolution, short: false });
  }
  const reviews = reviewsText(card);
  if (reviews) fields.push({ title: 'Reviews', value: reviews, short: false });
  if (card.state === 'PENDING' && !withdrawn && card.stillNeeded !== undefined) {
    fields.push({ title: 'Approvals needed', value: String(card.stillNeeded.approvals), short: true });
  }
  const links = card.links
    .filter((l) => /^https?:\/\/[^\s()<>]+$/.test(l.url))
    .slice(0, 5)
    .map((l) => `[${escapeInline(l.label, 100)}](${l.url})`);
  if (links.length > 0) fields.push({ title: 'Links', value: links.join(' · '), short: false });
  const attachment: Attachment = {
    fallback: `${status}: ${target.audience === 'requester' ? 'your access request' : `access request from ${plainInline(card.requester.name, NAME_MAX)}`}`,
    color: COLOR[withdrawn ? 'WITHDRAWN' : card.state],
    title: 'Access request',
    fields,
  };
  if (card.state === 'PENDING' && !withdrawn) {
    // The footer is plain text: the CLI hint is shown as written.
    attachment.footer = `Review from the CLI: ${card.cliHint}`.slice(0, 300);
  }
  if (opts.buttons && buttons && !withdrawn && showsButtons(target, card)) {
    attachment.actions = card.actions.map((action) => ({
      id: ACTION_ID[action],
      type: 'button' as const,
      name: action === 'approve' ? 'Approve' : 'Deny',
      style: action === 'approve' ? ('success' as const) : ('danger' as const),
      integration: { url: buttons.url, context: buttons.sign(action) },
    }));
  }
  return {
    message: `**${status}** ${intro}`.slice(0, POST_MESSAGE_MAX),
    props: {
      attachments: [attachment],
      [PROP_REQUEST_ID]: card.requestId,
      ...(marks.deliveryId ? { [PROP_DELIVERY_ID]: marks.deliveryId } : {}),
    },
  };
}

/** The thread reply for one review: who, decision, reason. */
export function renderReview(review: CardReview, opts: RenderOptions): string {
  const verb = review.decision === 'APPROVED' ? '✅ approved' : '❌ denied';
  const reason = review.reason
    ? `\n${quoted(escapeBlock(review.reason, opts.reasonMaxLength))}`
    : ' (no reason given)';
  return `**${escapeInline(review.author, NAME_MAX)}** ${verb} this request${reason}`;
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

/** The requester's own post about the outcome (an edit of their copy notifies nobody). */
export function renderOutcome(card: Card, opts: RenderOptions): string {
  const { label, list } = whatRequested(card);
  const resolution = resolutionText(card, opts.reasonMaxLength) ?? '';
  return `**${STATUS_LABEL[card.state]}** Your request for ${label.toLowerCase()} ${escapeInline(list.join(', '), LIST_MAX)} (${idCode(card.requestId)}): ${resolution}`;
}

/** The reason dialog a click opens (`POST /api/v4/actions/dialogs/open`, field `dialog`). */
export function renderDialog(
  action: ReviewAction,
  requestId: string,
  state: string,
  reasonRequired: boolean,
): Record<string, unknown> {
  const approve = action === 'approve';
  return {
    callback_id: DIALOG_CALLBACK_ID,
    title: approve ? 'Approve request' : 'Deny request',
    introduction_text: `You are about to **${approve ? 'approve' : 'deny'}** request ${idCode(requestId)}.`,
    elements: [
      {
        display_name: reasonRequired ? 'Reason (required)' : 'Reason (optional)',
        name: REASON_ELEMENT,
        type: 'textarea',
        optional: !reasonRequired,
        max_length: REVIEW_REASON_MAX,
      },
    ],
    submit_label: approve ? 'Approve' : 'Deny',
    notify_on_cancel: false,
    state,
  };
}
