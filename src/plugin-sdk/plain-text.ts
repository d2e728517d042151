// The neutral card as plain text, for platforms that show fields without markup (incident and
// alert titles, bodies, notes). User text is made safe by normalising line ends, neutralising
// invisible characters (neutraliseInvisible), removing control characters other than newline
// and tab, and, in one-line fields, folding line breaks so no forged extra line appears.
// Lengths are the caller's: each platform truncates to its own limits.

import { type Card, type CardReview, STATUS_LABEL } from './card.js';
import { neutraliseInvisible } from './escape.js';

export interface PlainTextOptions {
  /**
   * What a bidi control (U+202E…) becomes: `'mark'` shows it as a visible `[U+202E]`, as the
   * markup escapers do; `'drop'` removes it. Other invisible characters are dropped either way.
   */
  bidi: 'mark' | 'drop';
  /** A platform's own neutralising of what is left (ServiceNow breaks `[code]`), applied last. */
  neutralise?: (text: string) => string;
}

export interface PlainTextRenderer {
  /** Multi-line user text: newlines and tabs kept. */
  plainText(text: string): string;
  /** Single-line user text: line breaks and tabs become one space, ends trimmed. */
  oneLine(text: string): string;
  /** `resources a, b`, or `roles x, y` when the request names no resources. */
  requested(card: Card): string;
  /**
   * The request's summary, one line per entry: who requested what, the reason, its id, when it
   * expires, then `review` (how to review, as the platform words it), then the card's links.
   * `rolesLine` adds the roles when the request names resources too.
   */
  summaryLines(card: Card, review: readonly string[], opts?: { rolesLine?: boolean }): string[];
  /** `alice approved the access request (submitted by bob).\nReason: …` */
  reviewNote(review: CardReview): string;
  /** `Access request ✅ APPROVED by alice.\nReason: …`: which outcome, by whom, why. */
  resolutionNote(card: Card): string;
}

const isControl = (cp: number) => (cp < 0x20 && cp !== 0x0a && cp !== 0x09) || (cp >= 0x7f && cp <= 0x9f);
const dropMark = () => '';

export function plainTextRenderer(options: PlainTextOptions): PlainTextRenderer {
  const mark = options.bidi === 'drop' ? dropMark : undefined;
  const neutralise = options.neutralise ?? ((text: string) => text);

  const plainText = (text: string): string => {
    let out = '';
    for (const ch of neutraliseInvisible(text.replace(/\r\n?/g, '\n'), mark)) {
      if (!isControl(ch.codePointAt(0) ?? 0)) out += ch;
    }
    return neutralise(out);
  };
  const oneLine = (text: string): string =>
    plainText(text)
      .replace(/[\n\t]+/g, ' ')
      .trim();
  const requested = (card: Card): string =>
    card.resources.length > 0
      ? `resources ${card.resources.map(oneLine).join(', ')}`
      : `roles ${card.roles.map(oneLine).join(', ')}`;

  return {
    plainText,
    oneLine,
    requested,
    summaryLines(card, review, opts = {}) {
      const roles = opts.rolesLine && card.roles.length > 0 && card.resources.length > 0;
      return [
        `${oneLine(card.requester.name)} requested ${requested(card)}.`,
        ...(roles ? [`Roles: ${card.roles.map(oneLine).join(', ')}`] : []),
        card.reason ? `Reason: ${plainText(card.reason)}` : 'No reason given.',
        `Request ID: ${card.requestId}`,
        `Expires if not reviewed by: ${card.requestExpires}`,
        ...review,
        ...card.links.map((l) => `${oneLine(l.label)}: ${oneLine(l.url)}`),
      ];
    },
    reviewNote(review) {
      const verb = review.decision === 'APPROVED' ? 'approved' : 'denied';
      const onBehalf =
        review.submittedBy !== review.author ? ` (submitted by ${oneLine(review.submittedBy)})` : '';
      const reason = review.reason ? `\nReason: ${plainText(review.reason)}` : '';
      return `${oneLine(review.author)} ${verb} the access request${onBehalf}.${reason}`;
    },
    resolutionNote(card) {
      const r = card.resolution;
      const by = r?.by ? ` by ${oneLine(r.by)}` : '';
      const reason = r?.reason ? `\nReason: ${plainText(r.reason)}` : '';
      return `Access request ${STATUS_LABEL[card.state]}${by}.${reason}`;
    },
  };
}
