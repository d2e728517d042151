// The Teleport access source: the host follows a Teleport cluster's access requests over the
// auth service's gRPC API, as it follows our API's watch stream.
//
// Teleport's watch has no cursor to resume from and sends no snapshot, so after every
// (re)connect the source waits for the INIT event and then lists the requests and hands over
// their current state: every PENDING one, and (after a drop, or on a restart of a host that
// ran before) every request whose state changed since it was last seen; a pending request
// that vanished meanwhile counts as deleted. Events that arrive during the listing wait in the
// stream and follow it. The host's jobs are keyed by request version (request-mapping.ts), so
// what is handed over twice is routed once.
//
// A DELETE of a pending request whose pending TTL is over is its expiry (Teleport deletes the
// request then), shown as EXPIRED; any other DELETE of a pending request is a withdrawal.

import { setTimeout as sleep } from 'node:timers/promises';
import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { AccessRequest, RequestEvent, User } from '../../../access/types.js';
import type { ListRequestsPageQuery, RequestPage, ReviewInput, WatchOptions } from '../../../client/types.js';
import { AccessbotError } from '../../../errors.js';
import type { Logger } from '../../../log.js';
import type { AccessSource } from '../access-source.js';
import type { AuthConnection, AuthServiceClient } from './auth-connection.js';
import { fromGrpc, grpcStatusOf } from './grpc-errors.js';
import {
  isoToTimestamp,
  type PbAccessRequest,
  recordToLabelValues,
  toAccessRequest,
} from './request-mapping.js';
import { probeReviewMode, type ReviewMode, type ReviewModeSetting } from './review-mode.js';

export interface TeleportSourceOptions {
  connection: AuthConnection;
  log: Logger;
  /** Deadline of each unary call and of a listing. */
  timeoutMs: number;
  /** How long a new watch may take to send INIT before it counts as failed. */
  initTimeoutMs: number;
  reviewAs: ReviewModeSetting;
  /**
   * How a Teleport user name and an email relate: unset, user names are emails (SSO users);
   * set, user `name` has the email `name@<emailDomain>` (local users).
   */
  emailDomain?: string;
}

/** Requests remembered (for deletes and for changes missed while disconnected). */
const KNOWN_MAX = 50_000;
/** A listing larger than this is refused rather than held in memory. */
const MAX_LISTED = 50_000;
/** A delete this close to (or after) the pending TTL's end is the expiry. */
const EXPIRY_SLACK_MS = 2_000;
/** How far the cluster's clock may be from ours when telling history from requests made since the watch began. */
const CLOCK_SLACK_MS = 60_000;
const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/** Marks a failure of the consumer's own handler: it ends the watch instead of reconnecting. */
class ConsumerFailed extends Error {
  constructor(readonly original: unknown) {
    super('watch consumer failed');
  }
}

interface PbEvent {
  Type?: string;
  Resource?: string;
  ResourceHeader?: { Kind?: string; Metadata?: { Name?: string } } | null;
  AccessRequest?: PbAccessRequest | null;
}

export class TeleportSource implements AccessSource {
  private lastSeq = 0;
  private readonly known = new Map<string, AccessRequest>();
  private mode?: Promise<ReviewMode>;

  constructor(private readonly o: TeleportSourceOptions) {}

  private get client(): AuthServiceClient {
    return this.o.connection.client;
  }

  private deadline(): grpc.CallOptions {
    return { deadline: Date.now() + this.o.timeoutMs };
  }

  // ---- calls -------------------------------------------------------------------------------

  private unary<T>(method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      this.client[method]!(request, this.deadline(), (err: unknown, res: T) =>
        err ? reject(err) : resolve(res),
      );
    });
  }

  /** Every request the filter matches (the server streams them). */
  private async listAll(filter: { ID?: string; User?: string; State?: string }): Promise<AccessRequest[]> {
    const call = this.client.GetAccessRequestsV2!(
      filter,
      this.deadline(),
    ) as grpc.ClientReadableStream<PbAccessRequest>;
    const out: AccessRequest[] = [];
    try {
      for await (const pb of call) {
        out.push(toAccessRequest(pb as PbAccessRequest));
        if (out.length > MAX_LISTED) {
          call.cancel();
          throw new AccessbotError('INTERNAL', `Teleport lists more than ${MAX_LISTED} access requests`);
        }
      }
    } catch (err) {
      throw fromGrpc(err, 'listing access requests');
    }
    return out;
  }

  async ping(): Promise<{ clusterName: string; serverVersion: string }> {
    try {
      const res = await this.unary<{ ClusterName?: string; ServerVersion?: string }>('Ping', {});
      return { clusterName: res.ClusterName ?? '', serverVersion: res.ServerVersion ?? '' };
    } catch (err) {
      throw fromGrpc(err, 'ping');
    }
  }

  /** Who authors the reviews this source submits: `review_as`, or with `auto` what the cluster allows. */
  reviewMode(): Promise<ReviewMode> {
    if (this.o.reviewAs !== 'auto') return Promise.resolve(this.o.reviewAs);
    this.mode ??= this.clusterReviewMode().then(
      (mode) => {
        if (mode === 'plugin')
          this.o.log.warn(
            { user: this.o.connection.identity.user },
            "Teleport does not let this identity author reviews for others: reviews are submitted as it, the person named in the reason; the cluster checks no person's own rights (set host.teleport.review_as to silence this)",
          );
        return mode;
      },
      (err) => {
        this.mode = undefined;
        throw err;
      },
    );
    return this.mode;
  }

  /** Whether the cluster lets this identity author reviews for others (asked each time; review-mode.ts). */
  clusterReviewMode(): Promise<ReviewMode> {
    return probeReviewMode((submission) => this.unary('SubmitAccessReview', submission));
  }

  // ---- AccessSource ------------------------------------------------------------------------

  async latestSeq(): Promise<number> {
    return this.lastSeq;
  }

  async getRequest(id: string): Promise<AccessRequest> {
    const [found] = await this.listAll({ ID: id });
    if (!found) throw new AccessbotError('REQUEST_NOT_FOUND', `Teleport has no access request ${id}`);
    return found;
  }

  async listRequestsPage(q: ListRequestsPageQuery = {}): Promise<RequestPage> {
    const all = await this.listAll({
      ...(q.state && q.state !== 'EXPIRED' ? { State: q.state } : {}),
      ...(q.user ? { User: q.user } : {}),
    });
    if (q.state === 'EXPIRED') return { requests: [] };
    all.sort((a, b) => orderKey(a).localeCompare(orderKey(b)));
    const after = q.after === undefined ? undefined : decodeCursor(q.after);
    const rest = after === undefined ? all : all.filter((r) => orderKey(r) > after);
    const limit = Math.min(Math.max(q.limit ?? 500, 1), 1000);
    const page = rest.slice(0, limit);
    const last = page.at(-1);
    return { requests: page, ...(rest.length > limit && last ? { next: encodeCursor(orderKey(last)) } : {}) };
  }

  async submitReview(id: string, input: ReviewInput): Promise<AccessRequest> {
    const request = await this.getRequest(id);
    if (request.state !== 'PENDING')
      throw new AccessbotError('REQUEST_RESOLVED', `access request ${id} is already ${request.state}`);
    const mode = await this.reviewMode();
    const person = input.author;
    if (person && person === request.user)
      throw new AccessbotError('SELF_REVIEW', 'you cannot review your own access request');
    if (
      person &&
      request.reviews.some(
        (r) => r.author === person || r.annotations['accessbot/reviewer']?.includes(person),
      )
    )
      throw new AccessbotError('ALREADY_REVIEWED', `${person} has already reviewed access request ${id}`);
    const asPerson = mode === 'person' || !person;
    const reason = input.reason ?? '';
    const review = {
      Author: asPerson ? (person ?? '') : '',
      Roles: input.roles ?? [],
      ProposedState: input.proposedState,
      Reason: asPerson ? reason : `${person} (through accessbot)${reason ? `: ${reason}` : ''}`,
      Created: isoToTimestamp(new Date().toISOString()),
      Annotations: recordToLabelValues({
        ...input.annotations,
        ...(asPerson ? {} : { 'accessbot/reviewer': [person!] }),
      }),
    };
    let pb: PbAccessRequest;
    try {
      pb = await this.unary<PbAccessRequest>('SubmitAccessReview', { RequestID: id, Review: review });
    } catch (err) {
      const code = grpcStatusOf(err);
      if (code === status.FAILED_PRECONDITION || code === status.INVALID_ARGUMENT) {
        const now = await this.getRequest(id).catch(() => null);
        if (now && now.state !== 'PENDING')
          throw new AccessbotError('REQUEST_RESOLVED', `access request ${id} is already ${now.state}`);
      }
      throw fromGrpc(err, `reviewing access request ${id}`, {
        // The request was there a moment ago: a NOT_FOUND now is about the author.
        [status.NOT_FOUND]: asPerson ? 'USER_NOT_FOUND' : 'REQUEST_NOT_FOUND',
        [status.PERMISSION_DENIED]: 'REVIEW_NOT_ALLOWED',
        [status.ALREADY_EXISTS]: 'ALREADY_REVIEWED',
      });
    }
    const updated = toAccessRequest(pb);
    this.remember(updated);
    return updated;
  }

  async getUser(name: string): Promise<User> {
    const email = this.emailOf(name);
    return { name, ...(email ? { email } : {}), roles: [], traits: {}, createdAt: new Date(0).toISOString() };
  }

  /**
   * The Teleport user for an email, by the configured naming (the cluster checks the user
   * exists when the review is submitted). Traits are not readable without `read` on users,
   * which the plugin's role does not grant, so trait lookups find nobody.
   */
  async lookupUser(q: { email: string } | { trait: string; value: string }): Promise<User | null> {
    if (!('email' in q)) return null;
    const email = q.email.trim().toLowerCase();
    const at = email.lastIndexOf('@');
    if (at <= 0) return null;
    if (this.o.emailDomain === undefined) return this.getUser(email);
    if (email.slice(at + 1) !== this.o.emailDomain.toLowerCase()) return null;
    return this.getUser(email.slice(0, at));
  }

  private emailOf(name: string): string | undefined {
    if (this.o.emailDomain !== undefined) return `${name}@${this.o.emailDomain}`;
    return name.includes('@') ? name : undefined;
  }

  // ---- the watch ---------------------------------------------------------------------------

  async watch(opts: WatchOptions): Promise<void> {
    let backoff = INITIAL_BACKOFF_MS;
    // A host that ran before (a cursor) missed what changed while it was down.
    let catchUpResolved = opts.since > 0;
    while (!opts.signal?.aborted) {
      let failure: unknown;
      let renewed = false;
      try {
        renewed = await this.streamOnce(opts, catchUpResolved, () => {
          backoff = INITIAL_BACKOFF_MS;
        });
        failure = new AccessbotError('API_UNAVAILABLE', 'Teleport watch ended');
      } catch (err) {
        if (err instanceof ConsumerFailed) throw err.original;
        if (opts.signal?.aborted) return;
        if (grpcStatusOf(err) === status.UNAUTHENTICATED) throw fromGrpc(err, 'watching access requests');
        failure = err;
      }
      if (opts.signal?.aborted) return;
      catchUpResolved = true;
      opts.onReconnect?.(failure, this.lastSeq);
      if (renewed) continue;
      await sleep(backoff + Math.random() * backoff * 0.2, undefined, { signal: opts.signal }).catch(
        () => {},
      );
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  /** One watch connection. Resolves true when it was ended for a renewed identity. */
  private async streamOnce(
    opts: WatchOptions,
    catchUpResolved: boolean,
    progressed: () => void,
  ): Promise<boolean> {
    const askedAt = Date.now();
    const call = this.client.WatchEvents!({
      Kinds: [{ Kind: 'access_request' }],
    }) as grpc.ClientReadableStream<PbEvent>;
    let renewed = false;
    const stopRenewed = this.o.connection.onRenewed(() => {
      renewed = true;
      call.cancel();
    });
    const onAbort = () => call.cancel();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    call.on('error', () => {});
    const events = call[Symbol.asyncIterator]() as AsyncIterator<PbEvent>;
    try {
      const first = await withTimeout(events.next(), this.o.initTimeoutMs, () => call.cancel());
      if (first.done || first.value.Type !== 'INIT')
        throw new AccessbotError('API_UNAVAILABLE', 'Teleport watch did not start with INIT');
      await this.catchUp(opts, catchUpResolved, askedAt);
      progressed();
      for (;;) {
        const next = await events.next();
        if (next.done) break;
        await this.handleEvent(opts, next.value);
        progressed();
      }
    } catch (err) {
      if (renewed && grpcStatusOf(err) === status.CANCELLED) return true;
      throw err;
    } finally {
      stopRenewed();
      opts.signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
    return renewed;
  }

  /**
   * After INIT: the current state of what may have changed while nobody watched. On a first
   * start a request already resolved is history and is not handed over, unless it was created
   * once this watch was asked for (its events may have been lost with a dropped stream).
   */
  private async catchUp(opts: WatchOptions, catchUpResolved: boolean, watchAskedAt: number): Promise<void> {
    const listed = await this.listAll({});
    const seen = new Set<string>();
    for (const request of listed) {
      seen.add(request.id);
      const before = this.known.get(request.id);
      const changed = !before || before.version !== request.version;
      const recent = Date.parse(request.created) >= watchAskedAt - CLOCK_SLACK_MS;
      if (request.state === 'PENDING' || (changed && (catchUpResolved || recent)))
        await this.emit(opts, 'put', request);
      else this.remember(request);
    }
    for (const [id, before] of [...this.known]) {
      if (!seen.has(id)) await this.gone(opts, before);
    }
  }

  private async handleEvent(opts: WatchOptions, event: PbEvent): Promise<void> {
    if (event.Type === 'PUT' && event.AccessRequest) {
      await this.emit(opts, 'put', toAccessRequest(event.AccessRequest));
    } else if (event.Type === 'DELETE') {
      const id = event.ResourceHeader?.Metadata?.Name;
      const before = id ? this.known.get(id) : undefined;
      if (before) await this.gone(opts, before);
    }
  }

  /** A request Teleport no longer has: expired, withdrawn, or (once resolved) simply cleaned up. */
  private async gone(opts: WatchOptions, before: AccessRequest): Promise<void> {
    this.known.delete(before.id);
    if (before.state !== 'PENDING') return;
    const now = Date.now();
    if (now + EXPIRY_SLACK_MS >= Date.parse(before.requestExpires)) {
      const expired: AccessRequest = {
        ...before,
        state: 'EXPIRED',
        resolvedAt: new Date(now).toISOString(),
        version: before.version + 1,
      };
      await this.deliver(opts, {
        seq: this.nextSeq(),
        type: 'put',
        request: expired,
        at: expired.resolvedAt!,
      });
      return;
    }
    await this.deliver(opts, {
      seq: this.nextSeq(),
      type: 'delete',
      request: before,
      at: new Date(now).toISOString(),
    });
  }

  /**
   * Hands over a request, never older than what the source knows of it: an event waiting in the
   * stream during the listing after INIT may be older than what the listing showed.
   */
  private async emit(opts: WatchOptions, type: 'put', request: AccessRequest): Promise<void> {
    const before = this.known.get(request.id);
    const newest = before && before.version > request.version ? before : request;
    this.remember(newest);
    await this.deliver(opts, { seq: this.nextSeq(), type, request: newest, at: new Date().toISOString() });
  }

  private async deliver(opts: WatchOptions, event: RequestEvent): Promise<void> {
    try {
      await opts.onEvent(event);
    } catch (err) {
      throw new ConsumerFailed(err);
    }
  }

  private remember(request: AccessRequest): void {
    const before = this.known.get(request.id);
    if (before && before.version > request.version) return;
    this.known.delete(request.id);
    this.known.set(request.id, request);
    if (this.known.size > KNOWN_MAX) {
      const oldest = this.known.keys().next();
      if (!oldest.done) this.known.delete(oldest.value);
    }
  }

  /** Cursor positions only grow, across restarts too (microseconds of the clock, or one more). */
  private nextSeq(): number {
    this.lastSeq = Math.max(this.lastSeq + 1, Date.now() * 1000);
    return this.lastSeq;
  }
}

function orderKey(r: AccessRequest): string {
  return `${r.created}|${r.id}`;
}

function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!key.includes('|')) throw new AccessbotError('INVALID_CURSOR', 'not a cursor this source gave');
  return key;
}

async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new AccessbotError('API_UNAVAILABLE', `Teleport watch sent no INIT within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
