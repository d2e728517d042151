// Alert message, description and notes. Both platforms show them as plain text, so user text is
// made safe by removing control and bidirectional-override characters, keeping the one-line
// message on one line (no forged extra lines) and bounding every field to the platform's limit.

import { createHash } from 'node:crypto';
import { type Card, type CardReview, STATUS_LABEL, truncate } from '../../src/plugin-sdk/index.js';

/** The platforms' limits: message 130, description 15,000, note 25,000, alias 512 characters. */
export const MESSAGE_MAX = 130;
const DESCRIPTION_MAX = 15_000;
const NOTE_MAX = 25_000;
export const ALIAS_MAX = 512;

const isBidiControl = (cp: number) => (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
const isControl = (cp: number) => (cp < 0x20 && cp !== 0x0a && cp !== 0x09) || (cp >= 0x7f && cp <= 0x9f);

export function plainText(text: string): string {
  let out = '';
  for (const ch of text.replace(/\r\n?/g, '\n')) {
    const cp = ch.codePointAt(0) ?? 0;
    if (!isControl(cp) && !isBidiControl(cp)) out += ch;
  }
  return out;
}

export const oneLine = (text: string) =>
  plainText(text)
    .replace(/[\n\t]+/g, ' ')
    .trim();

function what(card: Card): string {
  return card.resources.length > 0
    ? `resources ${card.resources.map(oneLine).join(', ')}`
    : `roles ${card.roles.map(oneLine).join(', ')}`;
}

/**
 * The alias both platforms de-duplicate on while the alert is open: the request id, and a digest
 * of the responder so each responder's alert is its own, so a retried job never raises a second
 * alert. Only letters, digits and `-`: Opsgenie takes the alias in the URL path, where an
 * encoded `/` is refused by many servers and proxies.
 */
export function aliasFor(requestId: string, targetId: string): string {
  const responder = createHash('sha256').update(targetId).digest('hex').slice(0, 12);
  return truncate(`accessbot-${requestId.replace(/[^A-Za-z0-9-]/g, '')}-${responder}`, ALIAS_MAX, '');
}

export function alertMessage(card: Card): string {
  return truncate(oneLine(`Access request: ${card.requester.name} wants ${what(card)}`), MESSAGE_MAX, '…');
}

export function alertDescription(card: Card): string {
  const lines = [
    `${oneLine(card.requester.name)} requested ${what(card)}.`,
    card.reason ? `Reason: ${plainText(card.reason)}` : 'No reason given.',
    `Request ID: ${card.requestId}`,
    `Expires if not reviewed by: ${card.requestExpires}`,
    `Review with: ${card.cliHint}`,
    ...card.links.map((l) => `${oneLine(l.label)}: ${oneLine(l.url)}`),
  ];
  return truncate(lines.join('\n'), DESCRIPTION_MAX);
}

export function reviewNote(review: CardReview): string {
  const verb = review.decision === 'APPROVED' ? 'approved' : 'denied';
  const onBehalf =
    review.submittedBy !== review.author ? ` (submitted by ${oneLine(review.submittedBy)})` : '';
  const reason = review.reason ? `\nReason: ${plainText(review.reason)}` : '';
  return truncate(`${oneLine(review.author)} ${verb} the access request${onBehalf}.${reason}`, NOTE_MAX);
}

/** The note the alert is closed with: which outcome closed it, by whom, why. */
export function resolutionNote(card: Card): string {
  const r = card.resolution;
  const by = r?.by ? ` by ${oneLine(r.by)}` : '';
  const reason = r?.reason ? `\nReason: ${plainText(r.reason)}` : '';
  return truncate(`Access request ${STATUS_LABEL[card.state]}${by}.${reason}`, NOTE_MAX);
}

export function withdrawnNote(card: Card): string {
  return `Access request ${oneLine(card.requestId)} WITHDRAWN: deleted by an administrator; nothing to review.`;
}
