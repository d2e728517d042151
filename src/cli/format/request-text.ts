// How a request reads on the terminal, after tsh: the `Request ID: / Username: / …` block,
// the `request ls` table, and the review list of `request show`.

import type { AccessRequest, Review } from '../../access/types.js';
import { renderTable } from './table.js';
import { formatUtc, quoted, safeText } from './text.js';

const list = (values: readonly string[], sep = ', ') => values.map(safeText).join(sep);

export function requestBlock(req: AccessRequest): string[] {
  const reviewers = req.suggestedReviewers.length > 0 ? list(req.suggestedReviewers) : '[none]';
  const lines = [
    `Request ID: ${safeText(req.id)}`,
    `Username:   ${safeText(req.user)}`,
    `Roles:      ${list(req.roles)}`,
  ];
  if (req.resources.length > 0) lines.push(`Resources:  ${safeText(JSON.stringify(req.resources))}`);
  lines.push(
    `Reason:     ${quoted(req.reason)}`,
    `Reviewers:  ${reviewers} (suggested)`,
    `Status:     ${req.state}`,
  );
  return lines;
}

function reviewLine(review: Review): string {
  const parts = [`${safeText(review.author)}: ${review.proposedState}`, `at ${formatUtc(review.created)}`];
  if (review.reason) parts.push(`reason=${quoted(review.reason)}`);
  if (review.roles.length > 0) parts.push(`roles=${list(review.roles, ',')}`);
  if (review.submittedBy !== review.author) parts.push(`via ${safeText(review.submittedBy)}`);
  return `  ${parts.join(', ')}`;
}

/** `request show`: the block, then what happened to it. */
export function requestDetails(req: AccessRequest): string[] {
  const lines = requestBlock(req);
  lines.push(`Created:    ${formatUtc(req.created)}`);
  if (req.state === 'PENDING') lines.push(`Expires:    ${formatUtc(req.requestExpires)}`);
  if (req.resolvedAt) {
    const by = req.resolvedBy ? ` by ${safeText(req.resolvedBy)}` : '';
    const why = req.resolveReason ? `, reason=${quoted(req.resolveReason)}` : '';
    lines.push(`Resolved:   ${formatUtc(req.resolvedAt)}${by}${why}`);
  }
  if (req.state === 'APPROVED') {
    lines.push(`Granted:    ${list(req.approvedRoles)} until ${formatUtc(req.accessExpires)}`);
  }
  if (req.reviews.length > 0) lines.push('Reviews:', ...req.reviews.map(reviewLine));
  return lines;
}

export const SHOW_HINT = "hint: use 'accessbot request show <request-id>' for additional details";

/** `request ls`: newest first, resources cut at 20 characters with the `[+]` footnote. */
export function requestTable(requests: readonly AccessRequest[]): string[] {
  const sorted = [...requests].sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
  return renderTable({
    columns: [
      { title: 'ID' },
      { title: 'User' },
      { title: 'Roles' },
      { title: 'Resources', maxCellLength: 20, footnoteLabel: '[+]' },
      { title: 'Created At (UTC)' },
      { title: 'Status' },
    ],
    rows: sorted.map((r) => [
      safeText(r.id),
      safeText(r.user),
      list(r.roles, ','),
      r.resources.length > 0 ? safeText(JSON.stringify(r.resources)) : '',
      formatUtc(r.created),
      r.state,
    ]),
    footnotes: {
      '[+]': 'Requested resources truncated, use `accessbot request show <request-id>` to view the full list',
    },
  });
}
