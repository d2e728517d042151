// The persistence contract. Async on purpose: SQLite answers synchronously, but a
// PostgreSQL store (several API replicas over one database) will not, and callers
// must not notice the difference.

import type { AccessRequest, RequestEvent, RequestState, Role, User } from '../access/types.js';
import type { AccessbotError } from '../errors.js';

/**
 * One page of requests in store order (insertion order), after a position. Filters match the
 * stored state: a read never expires anything (the expiry sweeper writes expiries).
 * Every page is one range read of an index, so walking all requests of a filter is O(n).
 */
export interface RequestPageQuery {
  state?: RequestState;
  user?: string;
  /** Only requests stored after this position (0: from the start). */
  after: number;
  limit: number;
  /** Stop after the row whose document crosses this many bytes (read row by row, never all at once). */
  maxBytes?: number;
}

/** A request with its position in store order; positions only grow, so paging by them is stable. */
export interface PositionedRequest {
  position: number;
  request: AccessRequest;
  /** Size of the stored document (UTF-8 bytes of its JSON): what it costs to hold and to send. */
  bytes: number;
}

/** One event of the log as stored: the request is its JSON text, ready to send without re-encoding. */
export interface StoredEvent {
  seq: number;
  type: 'put' | 'delete';
  /** The request's JSON, exactly as committed. */
  requestJson: string;
  at: string;
}

/** How much one read of the event log may return: it stops at whichever comes first. */
export interface EventReadLimit {
  maxEvents: number;
  /**
   * Stop once this many bytes of request JSON were read; the event that crosses it is included,
   * so every read returns at least one event when there is one.
   */
  maxBytes: number;
}

export interface TokenRecord {
  /** sha256 (hex) of the bearer token; the token itself is never stored. */
  hash: string;
  user: string;
  created: string;
  expires?: string;
  description?: string;
}

/** Periodic tasks that must run on one API replica only. */
export type SingletonName = 'expiry-sweeper' | 'event-pruner';

/** One compare-and-set of a batch: write `request` only if the stored version is still `expectedVersion`. */
export interface ConditionalUpdate {
  request: AccessRequest;
  expectedVersion: number;
}

/** How far behind expiry is: PENDING requests whose request expiry has passed. */
export interface DueBacklog {
  /** How many are due, counted up to the `countLimit` asked for (so a count equal to it means "at least"). */
  count: number;
  /** The request expiry of the oldest due one (ISO 8601); null when none is due. */
  oldestDue: string | null;
}

/** Called after a request change has committed, in commit (seq) order. */
export type CommitListener = (event: RequestEvent) => void;

export interface Store {
  /** Writes the request and its `put` event in one transaction. */
  createRequest(request: AccessRequest): Promise<RequestEvent>;
  /**
   * Compare-and-set: writes only if the stored version is still `expectedVersion`,
   * else throws CONFLICT (REQUEST_NOT_FOUND when the request is gone).
   */
  updateRequest(request: AccessRequest, expectedVersion: number): Promise<RequestEvent>;
  /** Removes the request and writes a `delete` event carrying it as it was. */
  deleteRequest(id: string): Promise<RequestEvent>;
  /**
   * Many compare-and-sets in one short transaction: each request whose stored version is still
   * its `expectedVersion` is written with its `put` event; the others (changed meanwhile, or
   * gone) are skipped without error. Resolves with the events written, in seq order; listeners
   * hear them after the commit. The expiry sweeper writes its batches with it.
   */
  updateRequestsIfUnchanged(updates: ConditionalUpdate[]): Promise<RequestEvent[]>;
  getRequest(id: string): Promise<AccessRequest | null>;
  /**
   * Up to `limit` requests after `after`, filtered in the database, in store order; with
   * `maxBytes`, stops after the request whose document crosses that many bytes.
   */
  listRequestsPage(query: RequestPageQuery): Promise<PositionedRequest[]>;
  /** PENDING requests whose request expiry is at or before `now`, oldest expiry first (a range read). */
  listDueRequests(now: Date, limit: number): Promise<AccessRequest[]>;
  /** The due-but-not-yet-expired backlog at `now`; counting stops at `countLimit`. */
  dueBacklog(now: Date, countLimit: number): Promise<DueBacklog>;
  eventsSince(seq: number, limit: number): Promise<RequestEvent[]>;
  /** The events after `seq` as stored (no parsing), bounded in count and bytes. */
  readEvents(seq: number, limit: EventReadLimit): Promise<StoredEvent[]>;
  latestSeq(): Promise<number>;
  /** The oldest event still in the log; null when the log holds none. */
  firstSeq(): Promise<number | null>;
  /**
   * Removes events recorded before `before`, in small batches (each its own short transaction,
   * found through an index on the event time); resolves with how many. Never moves latestSeq.
   */
  pruneEventsBefore(before: Date): Promise<number>;
  /**
   * Subscribes to committed events, every replica's (once each, in seq order); returns the
   * unsubscribe function.
   */
  onCommit(listener: CommitListener): () => void;
  /**
   * Whether this process should run the cluster-wide singleton `name` now: true on one replica
   * at a time, taken over by another when that one dies. A single-process store always says true.
   */
  holdsSingleton(name: SingletonName): Promise<boolean>;

  /** Every user, by name (internal checks only; routes list users with `listUsersPage`). */
  listUsers(): Promise<User[]>;
  /** Up to `limit` users whose name sorts after `after` ('' from the start), by name (a range read). */
  listUsersPage(after: string, limit: number): Promise<User[]>;
  getUser(name: string): Promise<User | null>;
  /** Case-insensitive match on the email address. */
  findUserByEmail(email: string): Promise<User | null>;
  findUsersByTrait(trait: string, value: string): Promise<User[]>;
  putUser(user: User): Promise<void>;
  /** Deletes the user and every token of theirs; false when there was no such user. */
  deleteUser(name: string): Promise<boolean>;

  listRoles(): Promise<Role[]>;
  getRole(name: string): Promise<Role | null>;
  /** Upserts every role in one transaction (all or none). */
  putRoles(roles: Role[]): Promise<void>;
  deleteRole(name: string): Promise<boolean>;

  putToken(token: TokenRecord): Promise<void>;
  findToken(hash: string): Promise<TokenRecord | null>;
  /**
   * First start: creates `user` and its token in one transaction, only if no user exists yet.
   * False (and nothing written) when some user already exists.
   */
  createFirstUser(user: User, token: TokenRecord): Promise<boolean>;
  /** True when at least one user exists. */
  hasUsers(): Promise<boolean>;
  /** Deletes a user's tokens, only those with this description when given; returns how many. */
  deleteTokens(user: string, description?: string): Promise<number>;

  /** True when no user and no role exists yet. */
  isEmpty(): Promise<boolean>;
  /**
   * Null when the store can be written; otherwise why not (STORAGE_FULL, STORE_UNAVAILABLE).
   * After a failed write it tries a small write itself, so it recovers once space is freed.
   */
  writeProblem(): Promise<AccessbotError | null>;
  close(): Promise<void>;
}
