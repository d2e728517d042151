// Terminal-safe text. Names, reasons and resource IDs come from users; a control character in
// them could rewrite the reader's terminal, and a bidi control (U+202E…) could make the text
// read differently from what it is, so each one is shown escaped instead; other invisible
// characters (zero-width spaces…) are dropped.

import { neutraliseInvisible } from '../../access/visible-text.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const escaped = (c: string) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;

export function safeText(value: string): string {
  return neutraliseInvisible(value, escaped).replace(CONTROL, escaped);
}

/** Characters JSON output escapes beyond what JSON.stringify does: bidi and invisible ones. */
const INVISIBLE_IN_JSON = /[\p{Default_Ignorable_Code_Point}\u2028\u2029]/gu;

/**
 * `--format json`: the exact values (a program reads them back unchanged), with bidi and
 * invisible characters written as \uXXXX escapes so the terminal never renders them raw.
 */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(INVISIBLE_IN_JSON, (c) =>
    c.length === 1 ? escaped(c) : [...c].map((unit) => escaped(unit)).join(''),
  );
}

/** A Go-style %q: double-quoted with escapes (JSON escaping covers control characters). */
export function quoted(value: string): string {
  return safeText(JSON.stringify(value));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** RFC 822 in UTC, as tsh prints it: `23 Jun 22 18:25 UTC`. */
export function formatUtc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return safeText(iso);
  return `${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`;
}
