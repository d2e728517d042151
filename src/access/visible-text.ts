// Characters a reader cannot see. A reason made only of them is no reason; in any rendering a
// person reads (terminal, chat, ticket, mail) bidirectional controls are shown as a visible
// marker, since U+202E and friends can make `exe.txt` read as `txt.exe`; and identifiers (role
// names, trait keys) refuse them outright.

/** Explicit and implicit directional formatting (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM, ALM). */
const BIDI_CONTROL = /\p{Bidi_Control}/u;
/** Drawn as nothing: zero-width spaces and joiners, word joiner, BOM, soft hyphen, fillers, tags… */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\u2800]/u;
/**
 * Invisible characters kept in renderings because visible text needs them: ZWNJ and ZWJ
 * (Persian, Indic scripts, emoji sequences), variation selectors and tag characters (emoji).
 */
const isKept = (cp: number) =>
  cp === 0x200c ||
  cp === 0x200d ||
  (cp >= 0xfe00 && cp <= 0xfe0f) ||
  (cp >= 0xe0020 && cp <= 0xe007f) ||
  (cp >= 0xe0100 && cp <= 0xe01ef);
const NOT_SEEN = /[\s\p{Cc}\p{Default_Ignorable_Code_Point}\u2800]/gu;

export function isBidiControl(char: string): boolean {
  return BIDI_CONTROL.test(char);
}

/** True when something remains once spaces, control and invisible characters are removed. */
export function hasVisibleText(text: string): boolean {
  return text.replace(NOT_SEEN, '') !== '';
}

/** `[U+202E]`: how a neutralised character reads. */
export function codePointMarker(char: string): string {
  return `[U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`;
}

/**
 * For any text a person reads: bidi controls become a visible `[U+XXXX]` marker (so a spoof
 * attempt shows), other invisible characters are dropped (except those `isKept` lists).
 * Line breaks and other C0 controls are left to each markup's own escaper.
 */
export function neutraliseInvisible(text: string, mark: (char: string) => string = codePointMarker): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) ?? 0;
    const char = String.fromCodePoint(cp);
    const width = char.length;
    if (cp >= 0x80 && INVISIBLE.test(char) && !isKept(cp)) {
      out += text.slice(last, i) + (BIDI_CONTROL.test(char) ? mark(char) : '');
      last = i + width;
    }
    i += width;
  }
  return last === 0 ? text : out + text.slice(last);
}

/**
 * The first character an identifier (role name, trait key) may not hold: control characters
 * (NUL, ESC, line breaks…), bidi controls and invisible characters. Undefined when clean.
 */
export function forbiddenIdentifierChar(text: string): string | undefined {
  for (const char of text) {
    if (/\p{Cc}/u.test(char) || INVISIBLE.test(char)) return char;
  }
  return undefined;
}

/** `U+202E`, for messages about a refused character. */
export function describeChar(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}
