// Whether a plugin's `review_as` user can author automatic reviews: it exists and one of its
// roles lets it review requests. Asked by `accessbot config check --online` and, from memory,
// by the host's /readyz, so a missing user is found before the first on-call approval fails.

import type { Role, User } from '../../access/types.js';
import type { AccessClient } from '../../client/types.js';
import { AccessbotError } from '../../errors.js';

export type ReviewAsStatus =
  | { ok: true }
  /** Definitely wrong: `problem` names the user and the fix. */
  | { ok: false; problem: string }
  /** Could not find out (API down, no right to read roles): `why` says what failed. */
  | { ok: 'unknown'; why: string };

/** Whether any of the user's roles lets them review some requests (allow.review_requests). */
export function reviewsAnything(user: User, roles: Map<string, Role>): boolean {
  return user.roles.some((name) => {
    const review = roles.get(name)?.spec.allow?.review_requests;
    return !!review && ((review.roles?.length ?? 0) > 0 || (review.claims_to_roles?.length ?? 0) > 0);
  });
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function reviewAsStatus(client: AccessClient, reviewAs: string): Promise<ReviewAsStatus> {
  let user: User;
  try {
    user = await client.getUser(reviewAs);
  } catch (err) {
    if (err instanceof AccessbotError && (err.code === 'USER_NOT_FOUND' || err.code === 'NOT_FOUND'))
      return {
        ok: false,
        problem: `access user "${reviewAs}" does not exist, so every automatic review is refused (create it: accessbot users add ${reviewAs} --roles <a reviewer role>)`,
      };
    return { ok: 'unknown', why: `cannot look up access user "${reviewAs}": ${messageOf(err)}` };
  }
  let roles: Role[];
  try {
    roles = await client.listRoles();
  } catch (err) {
    return { ok: 'unknown', why: `cannot check the review rights of "${reviewAs}": ${messageOf(err)}` };
  }
  if (reviewsAnything(user, new Map(roles.map((r) => [r.metadata.name, r])))) return { ok: true };
  return {
    ok: false,
    problem: `access user "${reviewAs}" has no review rights (none of its roles ${user.roles.join(', ') || '(none)'} has allow.review_requests), so every automatic review is refused (give it a reviewer role: accessbot users add ${reviewAs} --roles <a reviewer role>)`,
  };
}
