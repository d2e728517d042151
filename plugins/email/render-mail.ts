// Mail bodies: one HTML and one plain-text part from the same card. Every piece of user text
// goes through `html` (escaped by construction); the subject and text part are plain text,
// cut to bounded lengths with control characters removed.

import {
  type Card,
  type CardReview,
  neutraliseInvisible,
  STATUS_LABEL,
  truncate,
} from '../../src/plugin-sdk/index.js';
import { html, type SafeHtml } from './html.js';

export type MailKind = 'request' | 'review' | 'reminder' | 'outcome' | 'withdrawn';

/** Longest reason shown in a mail; the review page shows it whole. */
export const MAIL_REASON_MAX = 2000;
const SUBJECT_TEXT_MAX = 120;

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

/**
 * Plain text (subject, text part): bidi controls shown as `[U+202E]`, invisible characters
 * dropped (the HTML part gets the same from the SDK's escaper).
 */
function plain(text: string): string {
  return neutraliseInvisible(text);
}

/** Line breaks and other control characters would split a header or a text line's meaning. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return plain(text).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}

export function stateOf(card: Card, kind: MailKind): string {
  return kind === 'withdrawn' ? 'WITHDRAWN' : card.state;
}

function headline(card: Card, kind: MailKind, review?: CardReview): string {
  const who = card.requester.name;
  switch (kind) {
    case 'request':
      return `${who} requests ${card.roles.join(', ')}`;
    case 'review':
      return `${review?.author ?? 'someone'} ${review?.decision === 'DENIED' ? 'denied' : 'approved'} ${who}'s request`;
    case 'reminder':
      return `Reminder: ${who}'s request still waits for a review`;
    case 'outcome':
      return `${who}'s request is ${card.state}`;
    case 'withdrawn':
      return `${who}'s request was withdrawn`;
  }
}

export function subjectOf(card: Card, kind: MailKind, review?: CardReview): string {
  const prefix = kind === 'request' ? '' : 'Re: ';
  return `${prefix}[${stateOf(card, kind)}] ${truncate(oneLine(headline(card, kind, review)), SUBJECT_TEXT_MAX)} (${card.requestId})`;
}

export interface RenderInput {
  card: Card;
  kind: MailKind;
  review?: CardReview;
  /** The reviewer's own review link, only on reviewer mails while the request is pending. */
  reviewUrl?: string;
}

function resolutionLine(card: Card): string {
  const r = card.resolution;
  if (!r) return '';
  return `${STATUS_LABEL[r.state]}${r.by ? ` by ${oneLine(r.by)}` : ''}${r.reason ? `: ${oneLine(truncate(r.reason, MAIL_REASON_MAX))}` : ''}`;
}

function reviewLine(review: CardReview): string {
  return `${oneLine(review.author)}: ${review.decision}${review.reason ? ` (${truncate(oneLine(review.reason), MAIL_REASON_MAX)})` : ''}`;
}

export function renderMail(input: RenderInput): MailContent {
  const { card, kind, review, reviewUrl } = input;
  const state = stateOf(card, kind);
  const title = headline(card, kind, review);
  const reason = truncate(card.reason, MAIL_REASON_MAX);
  const rows: [string, string][] = [
    ['Request', card.requestId],
    ['State', state],
    ['Requester', card.requester.name],
    ['Roles', card.roles.join(', ')],
    ...(card.resources.length > 0 ? ([['Resources', card.resources.join(', ')]] as [string, string][]) : []),
    ['Reason', reason],
    ['Expires', card.requestExpires],
  ];
  const resolution = resolutionLine(card);

  const text = [
    oneLine(title),
    '',
    ...rows.map(([label, value]) => `${label}: ${label === 'Reason' ? plain(value) : oneLine(value)}`),
    ...(card.reviews.length > 0 ? ['', 'Reviews:', ...card.reviews.map((r) => `- ${reviewLine(r)}`)] : []),
    ...(resolution ? ['', resolution] : []),
    ...(reviewUrl ? ['', `Review (approve or deny): ${reviewUrl}`] : []),
    '',
    `From the command line: ${card.cliHint}`,
  ].join('\n');

  const reviewsHtml: SafeHtml | false =
    card.reviews.length > 0 &&
    html`<h3 style="font-size:15px;margin:16px 0 4px">Reviews</h3><ul>${card.reviews.map(
      (r) => html`<li>${reviewLine(r)}</li>`,
    )}</ul>`;
  const body = html`<!doctype html><html><body style="font-family:sans-serif;font-size:14px;color:#222">
<h2 style="font-size:18px;margin:0 0 12px">${title}</h2>
<table style="border-collapse:collapse">${rows.map(
    ([label, value]) =>
      html`<tr><th style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">${label}</th><td style="white-space:pre-wrap">${value}</td></tr>`,
  )}</table>
${reviewsHtml}
${resolution && html`<p><strong>${resolution}</strong></p>`}
${reviewUrl && html`<p><a href="${reviewUrl}" style="display:inline-block;padding:10px 18px;background:#1a5fb4;color:#fff;text-decoration:none;border-radius:4px">Review</a></p><p style="color:#666;font-size:12px">The link opens a page where you approve or deny; opening it decides nothing. It works for you only.</p>`}
<p style="color:#666;font-size:12px">From the command line: <code>${card.cliHint}</code></p>
</body></html>`;
  return { subject: subjectOf(card, kind, review), text, html: body.value };
}
