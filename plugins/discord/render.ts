// Card → Discord message: one embed (status colour, requester, roles or resources, reason cut
// with a visible marker, resolution, reviews so far, CLI hint, links) and an action row with
// Approve/Deny for reviewers of a pending request. Every piece of user text goes through
// fitText; every message carries `allowed_mentions: {parse: []}`.

import type {
  APIActionRowComponent,
  APIAllowedMentions,
  APIButtonComponent,
  APIEmbed,
  APIEmbedField,
  APIModalInteractionResponseCallbackData,
  RESTPostAPIChannelMessageJSONBody,
} from 'discord-api-types/v10';
import { ButtonStyle, ComponentType, TextInputStyle } from 'discord-api-types/v10';
import { type Card, type CardReview, STATUS_LABEL, type Target } from '../../src/plugin-sdk/index.js';
import { fitText } from './escape.js';

/** Discord's documented limits (discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const DISCORD_LIMITS = {
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  fieldName: 256,
  fieldValue: 1024,
  fields: 25,
  footer: 2048,
  embedTotal: 6000,
  customId: 100,
  buttonLabel: 80,
  modalTitle: 45,
  labelText: 45,
  textInputMax: 4000,
  threadName: 100,
} as const;

/** The longest review reason the modal takes (the API's limit is larger; a thread message holds 2000). */
export const REVIEW_REASON_MAX = 1500;
/** How many reviews the embed lists by name (the thread holds them all). */
const REVIEWS_LISTED = 15;
/**
 * Per-field budgets (characters, after escaping) that keep the whole embed under Discord's
 * 6000: requester 200 + list 900 + reason ≤ 1024 + resolution ≤ 1024 + reviews 700 + links 600
 * + CLI 300 + dates, title, description, footer and names ≈ 5400 at most.
 */
const BUDGET = { list: 900, reviews: 700, links: 600, resolutionReasons: 700 } as const;

export const CUSTOM_ID_PREFIX = 'accessbot';
export const REASON_INPUT_ID = 'reason';

/** `accessbot:approve:<request id>` on a button; `accessbot:modal:approve:<request id>` on the modal. */
export const buttonId = (action: 'approve' | 'deny', requestId: string) =>
  `${CUSTOM_ID_PREFIX}:${action}:${requestId}`;
export const modalId = (action: 'approve' | 'deny', requestId: string) =>
  `${CUSTOM_ID_PREFIX}:modal:${action}:${requestId}`;

const COLOUR: Record<Card['state'] | 'WITHDRAWN', number> = {
  PENDING: 0xf1c40f,
  APPROVED: 0x2ecc71,
  DENIED: 0xe74c3c,
  EXPIRED: 0x95a5a6,
  WITHDRAWN: 0x7f8c8d,
};

export const WITHDRAWN_LABEL = '🗑️ WITHDRAWN';

export interface RenderOptions {
  reasonMaxLength: number;
}

/** Everything a message body carries; the same shape posts (POST) and edits (PATCH). */
export type MessageBody = Pick<
  RESTPostAPIChannelMessageJSONBody,
  'content' | 'embeds' | 'components' | 'allowed_mentions'
>;

/** No mention in our messages pings anyone, whatever text got into them. */
export const noMentions = (): APIAllowedMentions => ({ parse: [] });

const unix = (iso: string): number | undefined => {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
};

/** Discord shows `<t:…>` in each reader's own time zone. */
function when(iso: string): string {
  const seconds = unix(iso);
  return seconds === undefined ? fitText(iso, 60, 200) : `<t:${seconds}:f> (<t:${seconds}:R>)`;
}

function whatRequested(card: Card): { label: string; list: string[] } {
  return card.resources.length > 0
    ? { label: 'Resources', list: card.resources }
    : { label: 'Roles', list: card.roles };
}

/** Who decided and why: every review on the winning side, or the administrator who resolved it. */
function decisionOf(card: Card): { who: string[]; reasons: string[] } {
  const resolution = card.resolution!;
  const side = card.reviews.filter((r) => r.decision === resolution.state);
  const byReview = resolution.by === undefined || side.some((r) => r.author === resolution.by);
  if (byReview && side.length > 0) {
    return { who: side.map((r) => r.author), reasons: side.filter((r) => r.reason).map((r) => r.reason) };
  }
  return { who: resolution.by ? [resolution.by] : [], reasons: resolution.reason ? [resolution.reason] : [] };
}

function resolutionText(card: Card, opts: RenderOptions): string | undefined {
  if (!card.resolution) return undefined;
  if (card.resolution.state === 'EXPIRED') return 'Expired without a decision.';
  const verb = card.resolution.state === 'APPROVED' ? 'Approved' : 'Denied';
  const { who, reasons } = decisionOf(card);
  const by = who.length > 0 ? ` by ${who.map((w) => `**${fitText(w, 80, 200)}**`).join(', ')}` : '';
  const why =
    reasons.length > 0
      ? `\n> ${fitText(reasons.join('; '), opts.reasonMaxLength, BUDGET.resolutionReasons)}`
      : '';
  return `${verb}${by}${why}`.replaceAll(/\n(?!> )/g, '\n> ').slice(0, DISCORD_LIMITS.fieldValue);
}

function reviewsText(card: Card): string | undefined {
  if (card.reviews.length === 0) return undefined;
  const approvals = card.reviews.filter((r) => r.decision === 'APPROVED').length;
  const denials = card.reviews.length - approvals;
  const names = card.reviews
    .slice(0, REVIEWS_LISTED)
    .map((r) => `${r.decision === 'APPROVED' ? '✅' : '❌'} ${fitText(r.author, 40, 100)}`)
    .join(', ');
  const more =
    card.reviews.length > REVIEWS_LISTED ? ` and ${card.reviews.length - REVIEWS_LISTED} more` : '';
  const counts = `${approvals} approval${approvals === 1 ? '' : 's'}, ${denials} denial${denials === 1 ? '' : 's'}`;
  return `${counts}: ${names}${more}`.slice(0, BUDGET.reviews);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What it takes to decide a pending request, e.g. `2 approvals, or 1 denial`. */
function neededText(needed: NonNullable<Card['stillNeeded']>): string {
  return `${plural(needed.approvals, 'approval')} to approve, or ${plural(needed.denials, 'denial')} to deny`;
}

/** Only http(s) links without characters that could close the markdown link early, within budget. */
function linkField(card: Card): APIEmbedField | undefined {
  const links: string[] = [];
  let used = 0;
  for (const l of card.links.slice(0, 5)) {
    if (!/^https?:\/\/[^\s()<>[\]]+$/.test(l.url) || l.url.length > 300) continue;
    const link = `[${fitText(l.label, 60, 150)}](${l.url})`;
    if (used + link.length + 1 > BUDGET.links) break;
    links.push(link);
    used += link.length + 1;
  }
  return links.length > 0 ? { name: 'Links', value: links.join('\n') } : undefined;
}

/** Buttons are for reviewers of a pending request only; the requester's copy never has them. */
export function showsButtons(target: Target, card: Card): boolean {
  return target.audience === 'reviewer' && card.state === 'PENDING' && card.actions.length > 0;
}

function actionRow(card: Card): APIActionRowComponent<APIButtonComponent> {
  const buttons: APIButtonComponent[] = [];
  if (card.actions.includes('approve'))
    buttons.push({
      type: ComponentType.Button,
      style: ButtonStyle.Success,
      label: 'Approve',
      custom_id: buttonId('approve', card.requestId),
    });
  if (card.actions.includes('deny'))
    buttons.push({
      type: ComponentType.Button,
      style: ButtonStyle.Danger,
      label: 'Deny',
      custom_id: buttonId('deny', card.requestId),
    });
  return { type: ComponentType.ActionRow, components: buttons };
}

export interface RenderExtras {
  /** A short key derived from the delivery id, shown in the footer so a retry can find the post. */
  deliveryKey?: string;
  /** Show the request as deleted by an administrator. */
  withdrawn?: boolean;
}

export function renderMessage(
  target: Target,
  card: Card,
  opts: RenderOptions,
  extras: RenderExtras = {},
): MessageBody {
  const { label, list } = whatRequested(card);
  const requester = fitText(card.requester.name, 80, 200);
  const status = extras.withdrawn ? WITHDRAWN_LABEL : STATUS_LABEL[card.state];
  const intro =
    target.audience === 'requester'
      ? 'Your access request'
      : extras.withdrawn
        ? 'Access request deleted by an administrator; nothing to review.'
        : `Access request from **${requester}**`;
  const fields: APIEmbedField[] = [
    { name: 'Requester', value: requester, inline: true },
    {
      name: label,
      value: fitText(list.join(', '), BUDGET.list, BUDGET.list) || '*none*',
      inline: true,
    },
    card.state === 'APPROVED'
      ? { name: 'Access until', value: when(card.accessExpires), inline: true }
      : { name: 'Request expires', value: when(card.requestExpires), inline: true },
    {
      name: 'Reason',
      value: card.reason
        ? fitText(card.reason, opts.reasonMaxLength, DISCORD_LIMITS.fieldValue)
        : '*none given*',
    },
  ];
  const resolution = extras.withdrawn ? undefined : resolutionText(card, opts);
  if (resolution) fields.push({ name: 'Resolution', value: resolution });
  const reviews = reviewsText(card);
  if (reviews) fields.push({ name: 'Reviews', value: reviews });
  if (card.stillNeeded && !extras.withdrawn)
    fields.push({ name: 'Still needed', value: neededText(card.stillNeeded) });
  if (card.state === 'PENDING' && !extras.withdrawn)
    fields.push({
      name: 'Review from the CLI',
      value: `\`${card.cliHint.replaceAll('`', '').slice(0, 300)}\``,
    });
  const links = linkField(card);
  if (links) fields.push(links);
  const footer = `Request ${card.requestId.slice(0, 64)}${extras.deliveryKey ? ` · ref ${extras.deliveryKey}` : ''}`;
  const embed: APIEmbed = {
    title: `${status} · ${extras.withdrawn ? 'withdrawn' : 'access request'}`,
    description: intro,
    color: extras.withdrawn ? COLOUR.WITHDRAWN : COLOUR[card.state],
    fields,
    footer: { text: footer },
  };
  const buttons = !extras.withdrawn && showsButtons(target, card);
  const summary = `${status}: ${target.audience === 'requester' ? 'your access request' : `access request from ${requester}`} for ${label.toLowerCase()} ${fitText(list.join(', '), 300, 900)}`;
  return {
    content: summary.slice(0, DISCORD_LIMITS.content),
    embeds: [embed],
    components: buttons ? [actionRow(card)] : [],
    allowed_mentions: noMentions(),
  };
}

/** One message per review in the request's thread: who, decision, reason. */
export function renderReview(review: CardReview, opts: RenderOptions): MessageBody {
  const verb = review.decision === 'APPROVED' ? '✅ approved' : '❌ denied';
  const reason = review.reason
    ? `\n> ${fitText(review.reason, opts.reasonMaxLength, 1700).replaceAll('\n', '\n> ')}`
    : ' (no reason given)';
  return {
    content: `**${fitText(review.author, 80, 200)}** ${verb} this request${reason}`.slice(
      0,
      DISCORD_LIMITS.content,
    ),
    allowed_mentions: noMentions(),
  };
}

/** How long something has waited, coarsely: `45 min`, `3 h 20 min`, `2 d 4 h`. */
export function waitedFor(ms: number): string {
  const min = Math.max(1, Math.floor(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  return h % 24 ? `${Math.floor(h / 24)} d ${h % 24} h` : `${Math.floor(h / 24)} d`;
}

/** The reminder in the thread while a request waits for a review (no user text in it). */
export function renderReminder(card: Card, nowMs = Date.now()): MessageBody {
  const waited = waitedFor(nowMs - Date.parse(card.created));
  return {
    content: `⏰ Still waiting for a review after ${waited}. Approve or deny with the buttons above, or \`${card.cliHint.replaceAll('`', '')}\`.`,
    allowed_mentions: noMentions(),
  };
}

/** The requester's own message when their request is decided (an edit alone does not notify). */
export function renderOutcome(card: Card, opts: RenderOptions): MessageBody {
  const { label, list } = whatRequested(card);
  const resolution = resolutionText(card, opts) ?? STATUS_LABEL[card.state];
  const what = `${label.toLowerCase()} ${fitText(list.join(', '), 200, 600)}`;
  return {
    content: `**${STATUS_LABEL[card.state]}** Your request for ${what}: ${resolution}`.slice(0, 1900),
    allowed_mentions: noMentions(),
  };
}

/** The thread's name: short and free of user text that could mislead. */
export function threadName(card: Card): string {
  const { label, list } = whatRequested(card);
  const first = (list[0] ?? '').replace(/[^\w./:*-]/g, '').slice(0, 40);
  return `Reviews: ${label.toLowerCase()} ${first}${list.length > 1 ? ' …' : ''}`.slice(
    0,
    DISCORD_LIMITS.threadName,
  );
}

/** The reason modal: a Label (type 18) wrapping a paragraph text input (type 4, style 2). */
export function renderReviewModal(
  action: 'approve' | 'deny',
  requestId: string,
  reasonRequired: boolean,
): APIModalInteractionResponseCallbackData {
  const approve = action === 'approve';
  return {
    custom_id: modalId(action, requestId),
    title: approve ? 'Approve access request' : 'Deny access request',
    components: [
      {
        type: ComponentType.Label,
        label: reasonRequired ? 'Reason (required)' : 'Reason (optional)',
        description: `Your ${approve ? 'approval' : 'denial'} is recorded under your own name.`,
        component: {
          type: ComponentType.TextInput,
          custom_id: REASON_INPUT_ID,
          style: TextInputStyle.Paragraph,
          required: reasonRequired,
          max_length: REVIEW_REASON_MAX,
        },
      },
    ],
  };
}
