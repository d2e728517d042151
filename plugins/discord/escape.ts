// User text for Discord markdown: cut to size first (with a visible marker), then escaped, so
// that `@everyone`, `<@id>`, `<#id>`, `<t:…>`, masked links `[x](url)`, bare URLs and markdown
// all show literally. `allowed_mentions: {parse: []}` on every message is the second lock: even
// a mention that slipped through would ping nobody.

import { escapeMarkdown } from '../../src/plugin-sdk/index.js';

/** Shown where user text was cut (it is ours, so it is not escaped). */
export const CUT_MARKER = '… (truncated)';

/** Bidirectional and zero-width controls, which can make text read differently from what it is. */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** C0 controls except tab and newline. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** Escapes Discord markdown; `scheme://` becomes `scheme\://`, which Discord shows but does not link. */
export function escapeDiscord(text: string): string {
  const clean = text.replace(INVISIBLE, '').replace(CONTROL, ' ');
  // Mentions are broken after escaping, so that the SDK's zero-width joiner stays the only one.
  return escapeMarkdown(clean).replace(/:\/\//g, '\\://');
}

/**
 * Cuts user text to at most `max` characters (the marker included), escapes it, and cuts more
 * if escaping grew it past `hardMax`. The cut is made before escaping, so it never splits an
 * escape, and the marker stays readable.
 */
export function fitText(text: string, max: number, hardMax: number): string {
  const chars = Array.from(text);
  const marker = Array.from(CUT_MARKER).length;
  let keep = chars.length <= max ? chars.length : Math.max(0, max - marker);
  for (;;) {
    const cut = keep < chars.length;
    const shown = escapeDiscord(chars.slice(0, keep).join('')) + (cut ? CUT_MARKER : '');
    if (shown.length <= hardMax || keep === 0) return shown.slice(0, hardMax);
    keep = Math.floor(keep * 0.8);
  }
}
