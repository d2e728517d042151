// Incident title, body and notes. PagerDuty shows all of them as plain text (no markup to
// escape), so user text is made safe by removing control characters, keeping single-line
// fields on one line (no forged extra lines in a title) and bounding lengths.

import { type Card, type CardReview, STATUS_LABEL, truncate } from '../../src/plugin-sdk/index.js';

const TITLE_MAX = 255;
const DETAILS_MAX = 10_000;
const NOTE_MAX = 2_000;

/** Bidirectional overrides and isolates can make text read differently from what it is. */
const isBidiControl = (cp: number) => (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
const isControl = (cp: number) => (cp < 0x20 && cp !== 0x0a && cp !== 0x09) || (cp >= 0x7f && cp <= 0x9f);

/** Removes control characters except newline and tab (multi-line fields). */
export function plainText(text: string): string {
  let out = '';
  for (const ch of text.replace(/\r\n?/g, '\n')) {
    const cp = ch.codePointAt(0) ?? 0;
    if (!isControl(cp) && !isBidiControl(cp)) out += ch;
  }
  return out;
}

/** One line of plain text. */
export function oneLine(text: string): string {
  return plainText(text)
    .replace(/[\n\t]+/g, ' ')
    .trim();
}

function what(card: Card): string {
  return card.resources.length > 0
    ? `resources ${card.resources.map(oneLine).join(', ')}`
    : `roles ${card.roles.map(oneLine).join(', ')}`;
}

/** The key PagerDuty de-duplicates on: a retried delivery finds the incident it already opened. */
export function incidentKeyFor(requestId: string): string {
  return `accessbot-access-request/${requestId}`;
}

export function incidentTitle(card: Card): string {
  return truncate(oneLine(`Access request from ${card.requester.name} for ${what(card)}`), TITLE_MAX);
}

export function incidentDetails(card: Card): string {
  const lines = [
    `${oneLine(card.requester.name)} requested ${what(card)}.`,
    card.reason ? `Reason: ${plainText(card.reason)}` : 'No reason given.',
    `Request ID: ${card.requestId}`,
    `Expires if not reviewed by: ${card.requestExpires}`,
    `Review with: ${card.cliHint}`,
    ...card.links.map((l) => `${oneLine(l.label)}: ${oneLine(l.url)}`),
  ];
  return truncate(lines.join('\n'), DETAILS_MAX);
}

export function reviewNote(review: CardReview): string {
  const verb = review.decision === 'APPROVED' ? 'approved' : 'denied';
  const onBehalf =
    review.submittedBy !== review.author ? ` (submitted by ${oneLine(review.submittedBy)})` : '';
  const reason = review.reason ? `\nReason: ${plainText(review.reason)}` : '';
  return truncate(`${oneLine(review.author)} ${verb} the access request${onBehalf}.${reason}`, NOTE_MAX);
}

/** The note on an incident whose request was deleted from accessbot. */
export function withdrawnNote(card: Card): string {
  return truncate(
    `Access request ${oneLine(card.requestId)} WITHDRAWN: deleted by an administrator; nothing to review.`,
    NOTE_MAX,
  );
}

export function resolutionNote(card: Card): string {
  const r = card.resolution;
  const by = r?.by ? ` by ${oneLine(r.by)}` : '';
  const reason = r?.reason ? `\nReason: ${plainText(r.reason)}` : '';
  return truncate(`Access request ${STATUS_LABEL[card.state]}${by}.${reason}`, NOTE_MAX);
}
