// Review links. A link token is 32 random bytes (base64url) bound to one request and one
// reviewer, expiring with the request. Only its SHA-256 is stored (the plugin kv), so a copy of
// Redis lets nobody decide. Opening a link changes nothing; the one decision a link may carry
// is claimed atomically (setIfAbsent) when the page's form is posted, and recorded.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PluginKv } from '../../src/plugin-sdk/index.js';

export const TOKEN_BYTES = 32;
/** base64url of 32 bytes, no padding. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Links stay readable this long after their request expired, to say "expired" instead of "invalid". */
const KEEP_AFTER_EXPIRY_S = 7 * 24 * 3600;

export interface LinkRecord {
  requestId: string;
  /** The reviewer's address: the person the decision is made as. */
  reviewer: string;
  /** ISO time: the request's expiry. */
  expires: string;
}

export interface LinkUse {
  action: 'approve' | 'deny';
  at: string;
  /** The outcome shown when it was used (DecisionOutcome kind). */
  outcome?: string;
  message?: string;
}

export interface FoundLink {
  hash: string;
  record: LinkRecord;
  use: LinkUse | null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function isWellFormedToken(token: string | undefined): token is string {
  return typeof token === 'string' && TOKEN_PATTERN.test(token);
}

function ttlSecondsUntil(expires: string, now: number): number {
  const left = Math.ceil((Date.parse(expires) - now) / 1000);
  return Math.max(1, left) + KEEP_AFTER_EXPIRY_S;
}

export class ReviewLinks {
  private csrfKey: Buffer | undefined;

  constructor(private readonly kv: PluginKv) {}

  /** A new link for `reviewer` on `requestId`; returns the token (never stored). */
  async issue(record: LinkRecord, now = Date.now()): Promise<string> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    await this.kv.set(
      `link:${hashToken(token)}`,
      JSON.stringify(record),
      ttlSecondsUntil(record.expires, now),
    );
    return token;
  }

  async find(token: string | undefined): Promise<FoundLink | null> {
    if (!isWellFormedToken(token)) return null;
    const hash = hashToken(token);
    const raw = await this.kv.get(`link:${hash}`);
    if (!raw) return null;
    const used = await this.kv.get(`used:${hash}`);
    return { hash, record: JSON.parse(raw) as LinkRecord, use: used ? (JSON.parse(used) as LinkUse) : null };
  }

  /** Claims the link's one decision; false when it was already used. */
  async claim(link: FoundLink, use: LinkUse, now = Date.now()): Promise<boolean> {
    return this.kv.setIfAbsent(
      `used:${link.hash}`,
      JSON.stringify(use),
      ttlSecondsUntil(link.record.expires, now),
    );
  }

  /** Records what the decision came to, after the API answered. */
  async recordOutcome(link: FoundLink, use: LinkUse, now = Date.now()): Promise<void> {
    await this.kv.set(`used:${link.hash}`, JSON.stringify(use), ttlSecondsUntil(link.record.expires, now));
  }

  /** Gives the link back (the API could not be reached, so nothing was decided). */
  async release(link: FoundLink): Promise<void> {
    await this.kv.delete(`used:${link.hash}`);
  }

  /** The form's CSRF token: an HMAC of the link's hash under a key kept in the plugin kv. */
  async csrfToken(link: FoundLink): Promise<string> {
    return createHmac('sha256', await this.key())
      .update(`csrf:${link.hash}`)
      .digest('base64url');
  }

  async csrfMatches(link: FoundLink, given: string | undefined): Promise<boolean> {
    if (!given) return false;
    const expected = Buffer.from(await this.csrfToken(link));
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /** An HMAC under the same key, for the sign-in pages' CSRF tokens (`purpose` names the form). */
  async mac(purpose: string): Promise<string> {
    return createHmac('sha256', await this.key())
      .update(purpose)
      .digest('base64url');
  }

  async macMatches(purpose: string, given: string | undefined): Promise<boolean> {
    if (!given) return false;
    const expected = Buffer.from(await this.mac(purpose));
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  private async key(): Promise<Buffer> {
    if (this.csrfKey) return this.csrfKey;
    // Ten years: the key only has to outlive every link.
    await this.kv.setIfAbsent('csrf-key', randomBytes(32).toString('base64'), 10 * 365 * 24 * 3600);
    const stored = await this.kv.get('csrf-key');
    if (!stored) throw new Error('the CSRF key could not be read back from the plugin store');
    this.csrfKey = Buffer.from(stored, 'base64');
    return this.csrfKey;
  }
}
