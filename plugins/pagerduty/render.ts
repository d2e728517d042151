// Incident title, body and notes. PagerDuty shows all of them as plain text (no markup to
// escape), so user text is made safe (the SDK's plainTextRenderer) by removing control
// characters, keeping single-line fields on one line (no forged extra lines in a title) and
// bounding lengths.

import { type Card, type CardReview, plainTextRenderer, truncate } from '../../src/plugin-sdk/index.js';

const TITLE_MAX = 255;
const DETAILS_MAX = 10_000;
const NOTE_MAX = 2_000;

/** Bidi controls are dropped: PagerDuty fields have always shown user text without them. */
const text = plainTextRenderer({ bidi: 'drop' });

/** The key PagerDuty de-duplicates on: a retried delivery finds the incident it already opened. */
export function incidentKeyFor(requestId: string): string {
  return `accessbot-access-request/${requestId}`;
}

export function incidentTitle(card: Card): string {
  return truncate(
    text.oneLine(`Access request from ${card.requester.name} for ${text.requested(card)}`),
    TITLE_MAX,
  );
}

export function incidentDetails(card: Card): string {
  return truncate(text.summaryLines(card, [`Review with: ${card.cliHint}`]).join('\n'), DETAILS_MAX);
}

export function reviewNote(review: CardReview): string {
  return truncate(text.reviewNote(review), NOTE_MAX);
}

/** The note on an incident whose request was deleted from accessbot. */
export function withdrawnNote(card: Card): string {
  return truncate(
    `Access request ${text.oneLine(card.requestId)} WITHDRAWN: deleted by an administrator; nothing to review.`,
    NOTE_MAX,
  );
}

export function resolutionNote(card: Card): string {
  return truncate(text.resolutionNote(card), NOTE_MAX);
}
