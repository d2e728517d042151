// Alert message, description and notes. Both platforms show them as plain text, so user text is
// made safe (the SDK's plainTextRenderer) by removing control and bidirectional-override
// characters, keeping the one-line message on one line (no forged extra lines) and bounding
// every field to the platform's limit.

import { createHash } from 'node:crypto';
import { type Card, type CardReview, plainTextRenderer, truncate } from '../../src/plugin-sdk/index.js';

/** The platforms' limits: message 130, description 15,000, note 25,000, alias 512 characters. */
export const MESSAGE_MAX = 130;
const DESCRIPTION_MAX = 15_000;
const NOTE_MAX = 25_000;
export const ALIAS_MAX = 512;

/** Bidi controls are dropped: alert fields have always shown user text without them. */
const text = plainTextRenderer({ bidi: 'drop' });

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
  return truncate(
    text.oneLine(`Access request: ${card.requester.name} wants ${text.requested(card)}`),
    MESSAGE_MAX,
    '…',
  );
}

export function alertDescription(card: Card): string {
  return truncate(text.summaryLines(card, [`Review with: ${card.cliHint}`]).join('\n'), DESCRIPTION_MAX);
}

export function reviewNote(review: CardReview): string {
  return truncate(text.reviewNote(review), NOTE_MAX);
}

/** The note the alert is closed with: which outcome closed it, by whom, why. */
export function resolutionNote(card: Card): string {
  return truncate(text.resolutionNote(card), NOTE_MAX);
}

export function withdrawnNote(card: Card): string {
  return `Access request ${text.oneLine(card.requestId)} WITHDRAWN: deleted by an administrator; nothing to review.`;
}
