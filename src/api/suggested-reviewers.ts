// Suggested reviewers as the requester typed them: access user names or their emails (the seeds'
// own example is `--reviewers=alice@example.com,ivan@example.com`). An email of a known user
// becomes that user's name, so plugins that message people reach them; anything that names
// nobody is kept as typed and reported back as a warning, never dropped silently.

import type { Store } from '../store/types.js';

export type RequestWarningCode = 'UNKNOWN_REVIEWER' | 'REVIEWER_WITHOUT_EMAIL';

export interface RequestWarning {
  code: RequestWarningCode;
  message: string;
  /** The suggested reviewer as given. */
  reviewer: string;
}

export async function resolveSuggestedReviewers(
  store: Store,
  given: readonly string[],
): Promise<{ reviewers: string[]; warnings: RequestWarning[] }> {
  const reviewers: string[] = [];
  const warnings: RequestWarning[] = [];
  for (const raw of given) {
    const entry = raw.trim();
    const user =
      (await store.getUser(entry)) ?? (entry.includes('@') ? await store.findUserByEmail(entry) : null);
    if (!user) {
      reviewers.push(entry);
      warnings.push({
        code: 'UNKNOWN_REVIEWER',
        reviewer: raw,
        message: `suggested reviewer "${raw}" is neither an access user nor a user's email; nobody is told about the request through it`,
      });
      continue;
    }
    reviewers.push(user.name);
    if (!user.email) {
      warnings.push({
        code: 'REVIEWER_WITHOUT_EMAIL',
        reviewer: raw,
        message: `suggested reviewer "${user.name}" has no email; plugins that message people directly cannot reach them`,
      });
    }
  }
  return { reviewers: [...new Set(reviewers)], warnings };
}
