// Access-request operations on top of the pure model and the store. Every change is a
// read → model → compare-and-set write, retried when another writer got there first, so
// concurrent reviews (or a review racing the expiry sweeper) never lose an update.

import { randomUUID } from 'node:crypto';
import {
  type AccessContext,
  applyResolution,
  applyReview,
  canReview,
  expireIfDue,
  newAccessRequest,
} from '../access/index.js';
import { openRequestOverflow } from '../access/limits.js';
import type { AccessRequest, User } from '../access/types.js';
import type {
  CreatedRequest,
  CreateRequestInput,
  ListRequestsFilter,
  ResolveInput,
  ReviewInput,
} from '../client/types.js';
import { AccessbotError, hasCode } from '../errors.js';
import type { Store } from '../store/types.js';
import { canAny, loadAccessContext, requirePermission, type ServiceSettings } from './access-context.js';
import { MAX_PAGE_BYTES } from './limits.js';
import { resolveSuggestedReviewers } from './suggested-reviewers.js';

const MAX_CAS_ATTEMPTS = 8;
/**
 * Requests expired per transaction: small enough that one batch holds the database (and the
 * event loop) for a few milliseconds, so other calls get in between batches. Measured on a busy
 * 2-core machine (bench/scale.bench.ts): 50 held it ~2 ms (p50) at ~5,000 expirations/s alone;
 * 100 held it ~8-12 ms for no faster draining alone, and tripled other calls' p99 meanwhile.
 */
export const EXPIRY_BATCH = 20;
/** Batches one sweep may run before it returns (the next sweep goes on): bounds a sweep's length. */
const MAX_EXPIRY_BATCHES = 1000;
/** Store reads one page may take before it is returned short (bounds each HTTP call). */
const MAX_CHUNKS_PER_PAGE = 10;

export class RequestService {
  constructor(
    private readonly store: Store,
    private readonly settings: ServiceSettings,
  ) {}

  context(): Promise<AccessContext> {
    return loadAccessContext(this.store, this.settings);
  }

  /**
   * Creates the request; `warnings` says what was taken but will not work as the caller meant.
   * Suggested reviewers (the caller's and those the caller's roles add) given as emails become
   * the users they belong to.
   */
  async create(caller: User, input: CreateRequestInput): Promise<CreatedRequest> {
    const ctx = await this.context();
    const modelled = newAccessRequest({ id: randomUUID(), user: caller, ...input }, ctx);
    const { reviewers, warnings } = await resolveSuggestedReviewers(this.store, modelled.suggestedReviewers);
    const request = { ...modelled, suggestedReviewers: reviewers };
    await this.store.createRequest(request);
    return warnings.length > 0 ? { ...request, warnings } : request;
  }

  async get(caller: User, id: string): Promise<AccessRequest> {
    const ctx = await this.context();
    const stored = await this.store.getRequest(id);
    if (!stored || !this.isVisible(caller, stored, ctx)) throw notFound(id);
    return asOf(stored, ctx.now);
  }

  /**
   * Up to `limit` visible requests after store position `after`, in store order. State and
   * user are filtered in SQL; visibility and the due-request view (`asOf`) in JS, so a page may hold fewer
   * than `limit` (a caller who sees few requests gets short pages rather than one request
   * scanning the whole table). A page also stops once its requests reach `maxBytes` (default
   * MAX_PAGE_BYTES) of stored JSON. `nextPosition` is set whenever more may follow.
   */
  async listPage(
    caller: User,
    filter: ListRequestsFilter,
    page: { after: number; limit: number; maxBytes?: number },
  ): Promise<{ requests: AccessRequest[]; bytes: number; nextPosition?: number }> {
    const ctx = await this.context();
    const seeAll = canAny(caller, 'access_request', ['list', 'read'], ctx);
    const maxBytes = page.maxBytes ?? MAX_PAGE_BYTES;
    const out: AccessRequest[] = [];
    let bytes = 0;
    let position = page.after;
    for (let chunk = 0; chunk < MAX_CHUNKS_PER_PAGE; chunk++) {
      const want = page.limit - out.length;
      const budget = maxBytes - bytes;
      const rows = await this.store.listRequestsPage({
        ...filter,
        after: position,
        limit: want,
        maxBytes: budget,
      });
      let read = 0;
      for (const row of rows) {
        position = row.position;
        read += row.bytes;
        if (!seeAll && !this.isVisible(caller, row.request, ctx)) continue;
        const current = asOf(row.request, ctx.now);
        if (!filter.state || current.state === filter.state) {
          out.push(current);
          bytes += row.bytes;
        }
      }
      // The store stopped short of `want` without reaching the budget: the table ends here.
      if (rows.length < want && read < budget) return { requests: out, bytes };
      if (out.length >= page.limit || bytes >= maxBytes) break;
    }
    return { requests: out, bytes, nextPosition: position };
  }

  async review(caller: User, id: string, input: ReviewInput): Promise<AccessRequest> {
    const authorName = input.author ?? caller.name;
    let author = caller;
    if (authorName !== caller.name) {
      const ctx = await this.context();
      if (!canAny(caller, 'access_request', ['review_as'], ctx)) {
        throw new AccessbotError(
          'REVIEW_AS_NOT_ALLOWED',
          `user ${caller.name} may not submit reviews on behalf of ${authorName}`,
        );
      }
      const found = await this.store.getUser(authorName);
      if (!found) throw new AccessbotError('USER_NOT_FOUND', `no user ${authorName}`);
      author = found;
    }
    return this.mutate(caller, id, (request, ctx) =>
      checkOpenSize(
        applyReview(
          request,
          author,
          {
            proposedState: input.proposedState,
            submittedBy: caller.name,
            ...(input.reason === undefined ? {} : { reason: input.reason }),
            ...(input.roles === undefined ? {} : { roles: input.roles }),
            ...(input.annotations === undefined ? {} : { annotations: input.annotations }),
          },
          ctx,
        ),
      ),
    );
  }

  async resolve(caller: User, id: string, input: ResolveInput): Promise<AccessRequest> {
    requirePermission(caller, 'access_request', ['update'], await this.context());
    return this.mutate(caller, id, (request, ctx) =>
      applyResolution(request, { ...input, by: caller.name }, ctx),
    );
  }

  async remove(caller: User, id: string): Promise<void> {
    requirePermission(caller, 'access_request', ['delete'], await this.context());
    await this.store.deleteRequest(id);
  }

  /**
   * Expires every due PENDING request, `batch` per transaction (each expiry its own event),
   * yielding to other work between batches; returns how many it expired. A request reviewed or
   * deleted meanwhile is skipped by the compare-and-set and seen fresh by the next batch.
   */
  async expireDue(batch = EXPIRY_BATCH): Promise<number> {
    let expired = 0;
    for (let round = 0; round < MAX_EXPIRY_BATCHES; round++) {
      const now = this.settings.now();
      const due = await this.store.listDueRequests(now, batch);
      const updates = due.flatMap((request) => {
        const next = expireIfDue(request, now);
        return next ? [{ request: next, expectedVersion: request.version }] : [];
      });
      expired += (await this.store.updateRequestsIfUnchanged(updates)).length;
      if (due.length < batch) break;
      // Let HTTP calls (and the watch streams carrying these events) in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return expired;
  }

  /** When the next PENDING request falls due, if before `horizon` (null: none does). */
  async nextExpiryBefore(horizon: Date): Promise<Date | null> {
    const { oldestDue } = await this.store.dueBacklog(horizon, 0);
    return oldestDue === null ? null : new Date(oldestDue);
  }

  private isVisible(caller: User, request: AccessRequest, ctx: AccessContext): boolean {
    return (
      request.user === caller.name ||
      canAny(caller, 'access_request', ['list', 'read'], ctx) ||
      canReview(request, caller, ctx)
    );
  }

  /** Before a change (a write anyway): a due request is expired, with its event, so the model refuses the change. */
  private async expireBeforeChange(request: AccessRequest, ctx: AccessContext): Promise<AccessRequest> {
    const expired = expireIfDue(request, ctx.now);
    if (!expired) return request;
    try {
      await this.store.updateRequest(expired, request.version);
      return expired;
    } catch (err) {
      if (!hasCode(err, 'CONFLICT')) throw err;
      return (await this.store.getRequest(request.id)) ?? expired;
    }
  }

  private async mutate(
    caller: User,
    id: string,
    change: (request: AccessRequest, ctx: AccessContext) => AccessRequest,
  ): Promise<AccessRequest> {
    for (let attempt = 1; ; attempt++) {
      const ctx = await this.context();
      const stored = await this.store.getRequest(id);
      // A request the caller may not see answers exactly as one that does not exist (and is
      // not expired on their behalf either): its id must not leak.
      if (!stored || !this.isVisible(caller, stored, ctx)) throw notFound(id);
      // A due request is expired (and its event written) before the model refuses the change.
      const current = await this.expireBeforeChange(stored, ctx);
      const next = change(current, ctx);
      try {
        await this.store.updateRequest(next, current.version);
        return next;
      } catch (err) {
        if (!hasCode(err, 'CONFLICT') || attempt >= MAX_CAS_ATTEMPTS) throw err;
      }
    }
  }
}

/**
 * What a read shows: a PENDING request past its expiry is shown as the sweeper will record it
 * (EXPIRED), without writing anything; reads never write (see src/api/README.md, "Expiry").
 */
function asOf(request: AccessRequest, now: Date): AccessRequest {
  return expireIfDue(request, now) ?? request;
}

/** Reviews are what makes a request grow: each must leave room for the resolution. */
function checkOpenSize(request: AccessRequest): AccessRequest {
  const overflow = openRequestOverflow(JSON.stringify(request));
  if (overflow) {
    throw new AccessbotError(
      'REQUEST_TOO_LARGE',
      `with this review request ${request.id} would be ${overflow.bytes} bytes; the limit is ${overflow.limit} bytes (shorten the review's reason or annotations)`,
      overflow,
    );
  }
  return request;
}

function notFound(id: string): AccessbotError {
  return new AccessbotError('REQUEST_NOT_FOUND', `no access request ${id}`);
}
