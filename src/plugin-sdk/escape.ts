// Escapers for user-controlled text, one per markup family. Plugins run every piece of
// user text (reason, names, annotations, resource IDs) through the one for their platform.
// Every escaper first neutralises invisible characters (neutraliseInvisible): bidi controls
// such as U+202E, which can make a reason read backwards or hide part of it, show as a
// visible `[U+202E]`, and zero-width characters are dropped. Plain-text fields (titles,
// summaries) call neutraliseInvisible themselves.

import { neutraliseInvisible } from '../access/visible-text.js';

export { neutraliseInvisible };

/** HTML text and attribute content (mail, Teams' HTML-ish fields). */
export function escapeHtml(text: string): string {
  return neutraliseInvisible(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * Slack mrkdwn: `&`, `<`, `>` are the only control characters Slack asks to escape; escaping
 * them turns `<!channel>`, `<@U123>` and `<https://evil|click>` into literal text.
 */
export function escapeSlackMrkdwn(text: string): string {
  return neutraliseInvisible(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * CommonMark-style markdown (Discord, Mattermost): backslash-escapes formatting characters
 * and breaks `@here` / `@channel` / `@everyone` / `@all` mentions with a zero-width joiner.
 */
export function escapeMarkdown(text: string): string {
  // Neutralised before the zero-width space below is added, which must stay.
  return neutraliseInvisible(text)
    .replace(/([\\`*_~|[\]()#>+\-!{}<])/g, '\\$1')
    .replace(/@(here|channel|everyone|all)\b/gi, '@\u200b$1');
}

/** Jira wiki markup (Data Center, API v2): escape braces, brackets and markup characters. */
export function escapeJiraWiki(text: string): string {
  return neutraliseInvisible(text).replace(/([{}[\]|*_+^~?#\-!])/g, '\\$1');
}
