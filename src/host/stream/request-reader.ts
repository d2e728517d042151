// Reads the current state of a request for rendering. The watcher hands every request it
// sees to `remember`, so a worker rendering version N usually needs no API round trip; when
// the cache is older than what the job needs, the API is asked. Caches are bounded.

import type { AccessRequest } from '../../access/types.js';
import { hasCode } from '../../errors.js';
import { type Card, cardFromRequest, type Target } from '../../plugin-sdk/index.js';
import type { AccessSource } from '../source/access-source.js';

class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(key: K): V | undefined {
    return this.map.get(key);
  }
  delete(key: K): void {
    this.map.delete(key);
  }
  /** Stores without pushing anything out (only an entry already present is replaced). */
  setIfRoom(key: K, value: V): void {
    if (this.map.has(key) || this.map.size < this.max) this.set(key, value);
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }
}

const EMAIL_TTL_MS = 60_000;
/** Requests kept for rendering; the watcher's reconcile keeps its backlog below this. */
export const REQUEST_CACHE_SIZE = 2000;

export class RequestReader {
  private readonly requests = new BoundedMap<string, AccessRequest>(REQUEST_CACHE_SIZE);
  private readonly emails = new BoundedMap<string, { email: string | undefined; at: number }>(2000);
  private readonly cards = new WeakMap<
    AccessRequest,
    Map<Target['audience'], { requesterEmail: string | undefined; card: Card }>
  >();

  constructor(private readonly client: AccessSource) {}

  /** A deleted request: no cached copy may be rendered again. */
  forget(id: string): void {
    this.requests.delete(id);
  }

  remember(request: AccessRequest): void {
    const known = this.requests.get(request.id);
    if (!known || known.version <= request.version) this.requests.set(request.id, request);
  }

  /** The request at `minVersion` or later; null when the API no longer knows it. */
  async current(id: string, minVersion = 0): Promise<AccessRequest | null> {
    const cached = this.requests.get(id);
    if (cached && cached.version >= minVersion && minVersion > 0) return cached;
    try {
      const fresh = await this.client.getRequest(id);
      // Never at the cost of one the watcher handed over: with a backlog larger than the cache,
      // each read-through would push out a request some queued job is about to need.
      const known = this.requests.get(id);
      if (!known || known.version <= fresh.version) this.requests.setIfRoom(id, fresh);
      return fresh;
    } catch (err) {
      if (hasCode(err, 'REQUEST_NOT_FOUND') || hasCode(err, 'NOT_FOUND')) return null;
      throw err;
    }
  }

  async emailOf(userName: string): Promise<string | undefined> {
    const hit = this.emails.get(userName);
    if (hit && Date.now() - hit.at < EMAIL_TTL_MS) return hit.email;
    let email: string | undefined;
    try {
      email = (await this.client.getUser(userName)).email;
    } catch (err) {
      if (!hasCode(err, 'USER_NOT_FOUND') && !hasCode(err, 'NOT_FOUND')) throw err;
    }
    this.emails.set(userName, { email, at: Date.now() });
    return email;
  }

  /**
   * The card for a request as one audience sees it. Routing and posting render the same
   * request, so cards are kept per request object (the cache hands out the same object for
   * the same version) and shared: plugins treat cards as read-only.
   */
  async card(request: AccessRequest, audience: Target['audience'] = 'reviewer'): Promise<Card> {
    const requesterEmail = await this.emailOf(request.user);
    let rendered = this.cards.get(request);
    const hit = rendered?.get(audience);
    if (hit && hit.requesterEmail === requesterEmail) return hit.card;
    const card = cardFromRequest(request, { audience, ...(requesterEmail ? { requesterEmail } : {}) });
    if (!rendered) {
      rendered = new Map();
      this.cards.set(request, rendered);
    }
    rendered.set(audience, { requesterEmail, card });
    return card;
  }
}
