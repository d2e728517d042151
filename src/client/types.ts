// The typed surface of the access API as the CLI and the plugin host see it.
// `HttpAccessClient` (client.ts) implements it over HTTP; errors come back as AccessbotError
// with the server's stable code.

import type {
  AccessRequest,
  ProposedState,
  RequestEvent,
  RequestState,
  Role,
  Traits,
  User,
} from '../access/types.js';

export interface CreateRequestInput {
  roles?: string[];
  resources?: string[];
  reason?: string;
  suggestedReviewers?: string[];
  /** Pending TTL, Go-style duration (`30m`, `24h`); capped by the server. */
  requestTtl?: string;
}

/** Something a request was created with that will not work as the caller meant. */
export interface RequestWarning {
  /** `UNKNOWN_REVIEWER`: names no access user; `REVIEWER_WITHOUT_EMAIL`: cannot be messaged. */
  code: 'UNKNOWN_REVIEWER' | 'REVIEWER_WITHOUT_EMAIL';
  message: string;
  reviewer?: string;
}

/** What `POST /v1/requests` answers: the request, plus warnings when there are any. */
export interface CreatedRequest extends AccessRequest {
  warnings?: RequestWarning[];
}

export interface ReviewInput {
  proposedState: ProposedState;
  reason?: string;
  /** Approve only: subset of requested roles. */
  roles?: string[];
  annotations?: Record<string, string[]>;
  /** Submit on behalf of this user; needs the `review_as` verb on access_request. */
  author?: string;
}

export interface ResolveInput {
  state: 'APPROVED' | 'DENIED';
  reason?: string;
  roles?: string[];
  annotations?: Record<string, string[]>;
}

export interface ListRequestsFilter {
  state?: RequestState;
  user?: string;
}

export interface ListRequestsPageQuery extends ListRequestsFilter {
  /** Page size, 1–1000 (the server's default is 500). */
  limit?: number;
  /** `next` of the previous page; absent for the first page. */
  after?: string;
}

export interface RequestPage {
  requests: AccessRequest[];
  /** Pass as `after` for the next page; absent when there is none. */
  next?: string;
}

/** A page of a list ordered by name (users, roles). */
export interface NamePageQuery {
  /** Page size, 1–1000 (the server's default is 500). */
  limit?: number;
  /** `next` of the previous page; absent for the first page. */
  after?: string;
}

export interface UserPage {
  users: User[];
  /** Pass as `after` for the next page; absent when there is none. */
  next?: string;
}

export interface RolePage {
  roles: Role[];
  /** Pass as `after` for the next page; absent when there is none. */
  next?: string;
}

export interface UserInput {
  name: string;
  email?: string;
  roles: string[];
  traits?: Traits;
  /** Accepted so a User read from the API can be sent back as is; the server keeps its own. */
  createdAt?: string;
}

export interface IssuedToken {
  token: string;
  user: string;
  expires?: string;
}

export interface WhoAmI {
  user: User;
  /** Roles this user may request (literal names known to the API). */
  requestableRoles: string[];
  requestPrompt?: string;
  reasonRequired: boolean;
}

export interface WatchOptions {
  /** Resume after this sequence number (0 = from the beginning of the log). */
  since: number;
  signal?: AbortSignal;
  /** Called once per event, in order; the client awaits it before handing the next one. */
  onEvent: (event: RequestEvent) => Promise<void> | void;
  /** Called when the stream drops and the client is about to reconnect. */
  onReconnect?: (err: unknown, lastSeq: number) => void;
}

export interface AccessClient {
  whoami(): Promise<WhoAmI>;
  /** The same API, as the holder of another bearer token (a person signing in on a page). */
  withToken?(token: string): AccessClient;

  createRequest(input: CreateRequestInput): Promise<CreatedRequest>;
  getRequest(id: string): Promise<AccessRequest>;
  /** Every matching request, oldest first (read page by page). */
  listRequests(filter?: ListRequestsFilter): Promise<AccessRequest[]>;
  /** One page, oldest first; follow `next` for the rest. A full page may be followed by an empty one. */
  listRequestsPage(query?: ListRequestsPageQuery): Promise<RequestPage>;
  submitReview(id: string, input: ReviewInput): Promise<AccessRequest>;
  /** Administrative approve/deny (tctl request approve|deny); needs `update` on access_request. */
  resolveRequest(id: string, input: ResolveInput): Promise<AccessRequest>;
  deleteRequest(id: string): Promise<void>;

  /** Every user, following the pages (1000 at a time). */
  listUsers(): Promise<User[]>;
  /** One page of users, by name; follow `next` for the rest. */
  listUsersPage(query?: NamePageQuery): Promise<UserPage>;
  getUser(name: string): Promise<User>;
  /** Finds the access user for a platform identity: by email (case-insensitive) or by a trait value. */
  lookupUser(query: { email: string } | { trait: string; value: string }): Promise<User | null>;
  upsertUser(input: UserInput): Promise<User>;
  deleteUser(name: string): Promise<void>;
  issueToken(user: string, opts?: { ttl?: string; description?: string }): Promise<IssuedToken>;

  /** Every role, following the pages (1000 at a time). */
  listRoles(): Promise<Role[]>;
  /** One page of roles, by name; follow `next` for the rest. */
  listRolesPage(query?: NamePageQuery): Promise<RolePage>;
  applyRoles(roles: Role[]): Promise<Role[]>;
  deleteRole(name: string): Promise<void>;

  /** Current last sequence number of the event log. */
  latestSeq(): Promise<number>;
  /** Follows the watch stream from `since`, reconnecting with Last-Event-ID until `signal` aborts. */
  watch(opts: WatchOptions): Promise<void>;
}
