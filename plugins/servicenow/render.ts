// Incident text and work notes. ServiceNow shows these fields as plain text, except that a
// journal entry (work notes, comments) between [code] and [/code] is rendered as HTML: user text
// has those tags broken, control and invisible characters neutralised, single-line fields kept on
// one line, and lengths bounded.

import {
  type Card,
  type CardReview,
  plainTextRenderer,
  type RequestState,
  truncate,
} from '../../src/plugin-sdk/index.js';

/** short_description is 160 characters in a stock instance. */
const SHORT_MAX = 160;
const DESCRIPTION_MAX = 4_000;
const NOTE_MAX = 4_000;

/**
 * `[code]` opens raw HTML in a journal field; a zero-width break would be dropped as invisible,
 * so the bracket becomes a visible fullwidth one.
 */
const breakCodeTags = (text: string) => text.replace(/\[(\/?\s*code\s*)\]/gi, '［$1］');

/** Plain text safe in any ServiceNow field: bidi controls shown as `[U+202E]`, no [code] escape hatch. */
const text = plainTextRenderer({ bidi: 'mark', neutralise: breakCodeTags });
const { plainText, oneLine } = text;

export function shortDescription(card: Card): string {
  return truncate(
    oneLine(`Access request from ${card.requester.name} for ${text.requested(card)}`),
    SHORT_MAX,
    '…',
  );
}

export function description(card: Card, reviewUrl: string | undefined, howToDecide: string): string {
  const review = [
    howToDecide,
    `Or from the CLI: ${card.cliHint}`,
    reviewUrl ? `Review page: ${reviewUrl}` : '',
  ];
  const lines = text.summaryLines(card, review.filter(Boolean), { rolesLine: true });
  return truncate(lines.join('\n'), DESCRIPTION_MAX);
}

export function reviewNote(review: CardReview): string {
  const verb = review.decision === 'APPROVED' ? 'approved' : 'denied';
  const reason = review.reason ? `: ${plainText(review.reason)}` : '';
  return truncate(`${oneLine(review.author)} ${verb} the request${reason}`, NOTE_MAX);
}

export function withdrawnNote(card: Card): string {
  return `Request ${card.requestId} was withdrawn (deleted in accessbot); this incident decides nothing any more.`;
}

const STATE_WORD: Record<Exclude<RequestState, 'PENDING'>, string> = {
  APPROVED: 'APPROVED',
  DENIED: 'DENIED',
  EXPIRED: 'EXPIRED',
};

export function closeNotes(card: Card, prefix: string): string {
  const state = card.state === 'PENDING' ? 'PENDING' : STATE_WORD[card.state];
  const by = card.resolution?.by ? ` by ${oneLine(card.resolution.by)}` : '';
  const why = card.resolution?.reason ? `: ${plainText(card.resolution.reason)}` : '';
  const note = `${prefix ? `${plainText(prefix)}\n` : ''}Access request ${card.requestId} ${state}${state === 'EXPIRED' ? '' : by}${why}`;
  return truncate(note, NOTE_MAX);
}

/** The work note answering a decision taken in ServiceNow that did not decide the request. */
export function answerNote(
  recordId: string,
  label: string,
  action: 'approve' | 'deny',
  message: string,
): string {
  const verb = action === 'approve' ? 'approval' : 'rejection';
  return truncate(
    `accessbot on the ${verb} by ${oneLine(label)} (${recordId}): ${plainText(message)}`,
    NOTE_MAX,
  );
}
