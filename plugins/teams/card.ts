// The request as an Adaptive Card 1.5: status line, requester, roles or resources, the reason
// (cut with a visible marker), reviews so far, what it still takes to decide it, and while pending a reason input with
// Action.Execute Approve / Deny (Universal Actions) whose fallback is Action.Submit for clients
// that predate them. Resolved, expired and withdrawn cards carry no input and no actions.

import { type Card, type CardReview, STATUS_LABEL, truncate } from '../../src/plugin-sdk/index.js';
import { escapeCardText as esc } from './card-text.js';

export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
export const REASON_INPUT_ID = 'reason';
/** Marks our Action.Submit data, so a fallback submission is told apart from other messages. */
export const SUBMIT_MARKER = 'accessbot';
const WITHDRAWN_LABEL = '🗑️ WITHDRAWN';

export interface CardOptions {
  reasonMaxLength: number;
  denyReasonRequired: boolean;
  reviewReasonMax: number;
}

/** A line shown to one clicker above everything else (the answer to their click). */
export interface Notice {
  ok: boolean;
  message: string;
}

type Json = Record<string, unknown>;

const text = (value: string, extra: Json = {}): Json => ({
  type: 'TextBlock',
  text: value,
  wrap: true,
  ...extra,
});

function reviewLine(review: CardReview): string {
  const verb = review.decision === 'APPROVED' ? '✅ approved' : '❌ denied';
  return `${esc(review.author)} ${verb}${review.reason ? `: ${esc(review.reason)}` : ''}`;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** What it takes to decide a pending request, e.g. `2 approvals to approve, or 1 denial to deny`. */
function neededText(needed: NonNullable<Card['stillNeeded']>): string {
  return `${plural(needed.approvals, 'approval')} to approve, or ${plural(needed.denials, 'denial')} to deny`;
}

function actionButton(verb: 'approve' | 'deny', card: Card): Json {
  const title = verb === 'approve' ? 'Approve' : 'Deny';
  const data = { requestId: card.requestId };
  return {
    type: 'Action.Execute',
    verb,
    title,
    data,
    ...(verb === 'approve' ? { style: 'positive' } : { style: 'destructive' }),
    // The reason input travels with either button; a deny without one (when required) is refused by us.
    associatedInputs: 'auto',
    fallback: { type: 'Action.Submit', title, data: { ...data, [SUBMIT_MARKER]: verb } },
  };
}

/** The card for `card` as it stands; `withdrawn` when the request was deleted. */
export function renderCard(
  card: Card,
  opts: CardOptions,
  extra: { withdrawn?: boolean; notice?: Notice; marker?: string } = {},
): Json {
  const status = extra.withdrawn ? WITHDRAWN_LABEL : STATUS_LABEL[card.state];
  const body: Json[] = [];
  if (extra.notice) {
    body.push(
      text(`${extra.notice.ok ? '✅' : '⚠️'} ${esc(extra.notice.message)}`, {
        color: extra.notice.ok ? 'good' : 'attention',
        weight: 'bolder',
      }),
    );
  }
  // The marker (the posting delivery's id) lets a retry find this card again in Graph.
  body.push(
    text(`${status} · Access request`, {
      size: 'large',
      weight: 'bolder',
      ...(extra.marker ? { id: extra.marker } : {}),
    }),
  );
  const open = card.state === 'PENDING' && !extra.withdrawn;
  const facts = [
    { title: 'Requester', value: esc(card.requester.name) },
    ...(card.roles.length > 0 ? [{ title: 'Roles', value: esc(card.roles.join(', ')) }] : []),
    ...(card.resources.length > 0 ? [{ title: 'Resources', value: esc(card.resources.join(', ')) }] : []),
    // Ids and times are the API's own (no markup characters), shown as they are so they can be copied.
    { title: 'Request', value: card.requestId },
    ...(open ? [{ title: 'Expires', value: card.requestExpires }] : []),
    // Counts only (numbers and fixed words): nothing to escape.
    ...(open && card.stillNeeded ? [{ title: 'Still needed', value: neededText(card.stillNeeded) }] : []),
  ];
  body.push({ type: 'FactSet', facts });
  body.push(text(`**Reason:** ${esc(truncate(card.reason, opts.reasonMaxLength)) || '(none given)'}`));
  if (card.reviews.length > 0) {
    body.push(text(`**Reviews (${card.reviews.length})**`, { spacing: 'medium' }));
    for (const review of card.reviews) body.push(text(reviewLine(review), { spacing: 'none' }));
  }
  if (extra.withdrawn)
    body.push(text('The request was withdrawn; nothing is left to review.', { isSubtle: true }));
  else if (card.resolution) {
    const by = card.resolution.by ? ` by ${esc(card.resolution.by)}` : '';
    const why = card.resolution.reason ? `: ${esc(card.resolution.reason)}` : '';
    body.push(text(`${STATUS_LABEL[card.resolution.state]}${by}${why}`, { weight: 'bolder' }));
  }
  const actionable = !extra.withdrawn && card.state === 'PENDING' && card.actions.length > 0;
  if (actionable) {
    body.push({
      type: 'Input.Text',
      id: REASON_INPUT_ID,
      label: opts.denyReasonRequired ? 'Reason (required to deny)' : 'Reason (optional)',
      placeholder: 'Why approve or deny?',
      isMultiline: true,
      maxLength: opts.reviewReasonMax,
    });
  } else if (card.state === 'PENDING' && !extra.withdrawn) {
    body.push(text(`Reviewers decide in their copy, or: \`${esc(card.cliHint)}\``, { isSubtle: true }));
  }
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    ...(actionable ? { actions: card.actions.map((verb) => actionButton(verb, card)) } : {}),
    msteams: { width: 'Full' },
  };
}

/** A plain-text summary for notifications and clients that show no card. */
export function summaryOf(card: Card, withdrawn = false): string {
  const status = withdrawn ? WITHDRAWN_LABEL : STATUS_LABEL[card.state];
  return `${status}: access request by ${card.requester.name} for ${[...card.roles, ...card.resources].join(', ')}`;
}

export const attachmentOf = (content: Json) => ({ contentType: CARD_CONTENT_TYPE, content });

/** A message under the card (review, reminder, outcome) as a one-line card carrying its delivery's marker. */
export function replyCard(markdown: string, marker: string): Json {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [text(markdown, { id: marker })],
  };
}

export function reviewReplyText(review: CardReview): string {
  return reviewLine(review);
}
