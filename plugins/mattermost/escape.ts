// User text → Mattermost markdown that shows literally and notifies nobody. On top of the
// SDK's markdown escaper (formatting characters, `[label](url)`, `![image](url)`), Mattermost
// needs: every `@word` broken (a mention of a user, `@channel`, `@all`, `@here`), every
// `~word` broken (a channel link), and bare URLs broken (Mattermost links them by itself,
// `www.` included). The breaks are zero-width spaces, invisible to the reader.

import { escapeMarkdown, truncate } from '../../src/plugin-sdk/index.js';

const ZWSP = '\u200b';
/** Bidi overrides and isolates can make text read differently from what it is. */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

export function escapeMattermost(text: string): string {
  return breakLinksAndMentions(escapeMarkdown(text.replace(BIDI_CONTROLS, '')));
}

function breakLinksAndMentions(text: string): string {
  return text
    .replace(/@(?!\u200b)/g, `@${ZWSP}`)
    .replace(/~/g, `~${ZWSP}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWSP}.`);
}

/** One line of user text for a plain-text field (an attachment's fallback): no markdown escapes. */
export function plainInline(text: string, max: number): string {
  return breakLinksAndMentions(truncate(text.replace(BIDI_CONTROLS, '').replace(/\s+/g, ' ').trim(), max));
}

/** One line of user text (a name, a role): newlines would break the layout. */
export function escapeInline(text: string, max: number): string {
  return escapeMattermost(truncate(text.replace(/\s+/g, ' ').trim(), max));
}

/** A block of user text (a reason), cut to `max` characters with a visible marker, then escaped. */
export function escapeBlock(text: string, max: number): string {
  return escapeMattermost(truncate(text, max));
}

/** Text for a markdown quote: every line starts with `> `. */
export function quoted(escaped: string): string {
  return escaped
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}
