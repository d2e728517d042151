// Jira wiki markup (REST v2) for the issue and its comments. Every piece of user-controlled
// text goes through escapeJiraWiki, so a reason cannot add links, mentions ([~user]), macros
// ({html}, {quote}) or formatting. Sizes stay under Jira's limits (summary 255 characters,
// description and comments 32,767) whatever the requester typed.

import {
  type Card,
  type CardReview,
  escapeJiraWiki,
  neutraliseInvisible,
  truncate,
} from '../../src/plugin-sdk/index.js';

const SUMMARY_MAX = 250;
const TEXT_MAX = 32_000;
/** Before escaping, which can double the length of punctuation-heavy text. */
const REASON_MAX = 10_000;
const LIST_MAX = 50;

const esc = (text: string) => escapeJiraWiki(text);

function listOf(items: string[]): string {
  const shown = items.slice(0, LIST_MAX).map(esc).join(', ');
  return items.length > LIST_MAX ? `${shown} … and ${items.length - LIST_MAX} more` : shown;
}

/** Link targets are ours (public URL), but `|` and `]` would still end the link markup. */
function link(label: string, url: string): string {
  return `[${esc(label)}|${url.replaceAll('|', '%7C').replaceAll(']', '%5D').replaceAll(' ', '%20')}]`;
}

/** Our own identifiers and commands, shown verbatim so they can be copied. */
function literal(text: string): string {
  if (/^[A-Za-z0-9-]+$/.test(text)) return `{{${text}}}`;
  // {noformat} shows everything literally, unless the text could close it.
  return text.includes('{') ? esc(text) : `{noformat}${text}{noformat}`;
}

function quoted(text: string): string {
  return text.trim() === '' ? '_(no reason given)_' : `{quote}${esc(truncate(text, REASON_MAX))}{quote}`;
}

export function issueSummary(card: Card): string {
  const what =
    card.resources.length > 0 ? `resources ${card.resources.join(', ')}` : `roles ${card.roles.join(', ')}`;
  // Summaries are plain text (no markup) and single-line.
  return truncate(
    neutraliseInvisible(`Access request from ${card.requester.name}: ${what}`).replace(/\s+/g, ' '),
    SUMMARY_MAX,
  );
}

export interface StatusNames {
  pending: string;
  approved: string;
  denied: string;
  expired: string;
}

export function issueDescription(card: Card, statuses: StatusNames, reasonPrefix: string): string {
  const requester = card.requester.email
    ? `${esc(card.requester.name)} (${esc(card.requester.email)})`
    : esc(card.requester.name);
  const lines = [
    'h3. Access request',
    '',
    `*Requester:* ${requester}`,
    card.resources.length > 0 ? `*Resources:* ${listOf(card.resources)}` : `*Roles:* ${listOf(card.roles)}`,
    ...(card.resources.length > 0 && card.roles.length > 0 ? [`*Through roles:* ${listOf(card.roles)}`] : []),
    '*Reason:*',
    quoted(card.reason),
    `*Request ID:* ${literal(card.requestId)}`,
    `*Request expires:* ${esc(card.requestExpires)}`,
    ...(card.suggestedReviewers.length > 0
      ? [`*Suggested reviewers:* ${listOf(card.suggestedReviewers)}`]
      : []),
    '',
    `To review, move this issue to *${esc(statuses.approved)}* or *${esc(statuses.denied)}*; your move is submitted as your review, and the access rules decide. To give a reason, first add a comment starting with "${esc(reasonPrefix)}".`,
    `From a terminal: ${literal(card.cliHint)}`,
    ...card.links.map((l) => link(l.label, l.url)),
  ];
  return truncate(lines.join('\n'), TEXT_MAX);
}

/** The comment on an issue whose request was deleted from accessbot. */
export function withdrawnComment(card: Card): string {
  return `(-) Access request ${esc(card.requestId)} was *withdrawn*: deleted by an administrator. Moving this issue decides nothing any more.`;
}

export function reviewComment(review: CardReview): string {
  const icon = review.decision === 'APPROVED' ? '(/)' : '(x)';
  const verb = review.decision === 'APPROVED' ? 'approved' : 'denied';
  const roles = review.roles.length > 0 ? ` (roles: ${listOf(review.roles)})` : '';
  const via = review.submittedBy !== review.author ? ` _via ${esc(review.submittedBy)}_` : '';
  const reason = review.reason.trim() === '' ? ' No reason given.' : `\n${quoted(review.reason)}`;
  return truncate(`${icon} *${esc(review.author)}* ${verb} this request${roles}${via}.${reason}`, TEXT_MAX);
}

export function resolutionComment(card: Card): string {
  const r = card.resolution;
  if (!r) return '';
  if (r.state === 'EXPIRED') return '(!) The request *expired* before it was decided.';
  const icon = r.state === 'APPROVED' ? '(/)' : '(x)';
  const by = r.by ? ` by *${esc(r.by)}*` : '';
  const reason = r.reason && r.reason.trim() !== '' ? `\n${quoted(r.reason)}` : '';
  return truncate(`${icon} The request was *${r.state.toLowerCase()}*${by}.${reason}`, TEXT_MAX);
}

/** Said on the issue when a move could not be turned into a review, or did not decide the request. */
export function moveAnswerComment(
  personLabel: string,
  movedTo: string,
  message: string,
  backTo: string | null,
): string {
  const back = backTo ? ` The issue is back in *${esc(backTo)}*.` : '';
  const sentence = /[.!?]$/.test(message.trim()) ? message.trim() : `${message.trim()}.`;
  return truncate(
    `(i) ${esc(personLabel)} moved this issue to *${esc(movedTo)}*: ${esc(sentence)}${back}`,
    TEXT_MAX,
  );
}
