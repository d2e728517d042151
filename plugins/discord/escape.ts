// User text for Discord markdown: cut to size first (with a visible marker), then escaped, so
// that `@everyone`, `<@id>`, `<#id>`, `<t:…>`, masked links `[x](url)`, bare URLs and markdown
// all show literally. `allowed_mentions: {parse: []}` on every message is the second lock: even
// a mention that slipped through would ping nobody.

import { escapeMarkdown, truncate } from '../../src/plugin-sdk/index.js';

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

/** Cuts user text to `max` characters, escapes it, and cuts again if escaping grew it past `hardMax`. */
export function fitText(text: string, max: number, hardMax: number): string {
  let limit = max;
  for (;;) {
    const escaped = escapeDiscord(truncate(text, limit));
    if (escaped.length <= hardMax) return escaped;
    if (limit <= 20) return escapeDiscord(truncate(text, 1)).slice(0, hardMax);
    limit = Math.floor(limit * 0.8);
  }
}
