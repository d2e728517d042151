// User text for an Adaptive Card. TextBlocks and FactSet values are rendered as Teams' markdown
// subset (bold, italic, lists, links) and Teams turns bare URLs into links and `<at>` into
// mentions, so every piece of user text is escaped: formatting characters backslash-escaped,
// URL schemes and `www.` broken with a zero-width space, `<`/`>` escaped (no `<at>` mention),
// bidirectional controls shown as a visible mark instead of reordering the text.

import { escapeMarkdown } from '../../src/plugin-sdk/index.js';

const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const ZWSP = '\u200B';

export function escapeCardText(text: string): string {
  return escapeMarkdown(text.replace(BIDI_CONTROLS, '\uFFFD'))
    .replace(/([a-z][a-z0-9+.-]*):\/\//gi, `$1${ZWSP}://`)
    .replace(/\bwww\./gi, `www${ZWSP}.`)
    .replace(/\b(mailto|tel):/gi, `$1${ZWSP}:`);
}
