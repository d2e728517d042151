// What the host needs from an access system, and nothing more: follow its changes from a
// cursor, list the pending requests, read one request, submit a review as a person, and look
// up users. `HttpAccessClient` (src/client) is one implementation (our access API); the
// Teleport source (src/host/source/teleport) is another. The host names only this interface.

import type { AccessRequest, Role, User } from '../../access/types.js';
import type {
  ListRequestsPageQuery,
  RequestPage,
  ReviewInput,
  WatchOptions,
  WhoAmI,
} from '../../client/types.js';

export type { ListRequestsPageQuery, RequestPage, ReviewInput, WatchOptions } from '../../client/types.js';

/** The access system as the holder of another credential sees it (a person on a sign-in page). */
export interface AccessSourceAsHolder {
  whoami(): Promise<WhoAmI>;
  listRequestsPage(query?: ListRequestsPageQuery): Promise<RequestPage>;
}

export interface AccessSource {
  /**
   * Follows every request change after `since`, in order, until `signal` aborts. A source that
   * cannot resume from a cursor must hand over, after each (re)connect, the current state of
   * every request it may have missed, so nothing is lost.
   */
  watch(opts: WatchOptions): Promise<void>;
  /** The newest cursor position the source knows (where a first start begins). */
  latestSeq(): Promise<number>;
  /** One page of requests, oldest first; follow `next` for the rest. */
  listRequestsPage(query?: ListRequestsPageQuery): Promise<RequestPage>;
  /** The request now; `REQUEST_NOT_FOUND` when the system no longer has it. */
  getRequest(id: string): Promise<AccessRequest>;
  /** A review, authored by `input.author` where the system lets the host act for them. */
  submitReview(id: string, input: ReviewInput): Promise<AccessRequest>;
  /** A user by name; `USER_NOT_FOUND` when there is none. */
  getUser(name: string): Promise<User>;
  /** The user for a platform identity: by email (case-insensitive) or by a trait value. */
  lookupUser(query: { email: string } | { trait: string; value: string }): Promise<User | null>;
  /** Every role; absent when the source cannot list them (review rights then go unchecked). */
  listRoles?(): Promise<Role[]>;
  /** The same system as the holder of another credential; absent when the source has none. */
  withToken?(token: string): AccessSourceAsHolder;
}
