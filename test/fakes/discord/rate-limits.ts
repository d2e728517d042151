// Discord's rate limits as the fake applies them: a bucket per route and major parameter (the
// channel, guild or webhook), a global limit per bot, and 429s that tests force. Every answer
// carries the `X-RateLimit-*` headers; a 429 also `Retry-After` (whole seconds, rounded up) and
// the JSON body `{message, retry_after (seconds, with decimals), global}` Discord sends.

import { createHash } from 'node:crypto';

export interface BucketLimit {
  limit: number;
  windowMs: number;
}

interface Bucket {
  remaining: number;
  resetAt: number;
}

export interface RateDecision {
  headers: Record<string, string>;
  /** Set when the call is refused: the 429 body. */
  refused?: { global: boolean; retryAfterSeconds: number };
}

export interface ForcedLimit {
  global: boolean;
  retryAfterSeconds: number;
  /** Only calls on these routes (e.g. `POST /channels/:id/messages`). */
  routes?: string[];
}

export class FakeRateLimits {
  private readonly buckets = new Map<string, Bucket>();
  private global: Bucket = { remaining: 0, resetAt: 0 };
  private readonly forced: ForcedLimit[] = [];
  /** Calls refused with 429, by scope. */
  readonly refused = { route: 0, global: 0 };

  constructor(
    /** Limit for message creation per channel (Discord: 5 per 5 s). */
    public messageLimit: BucketLimit = { limit: 5, windowMs: 5000 },
    /** Limit for any other route per major parameter. */
    public routeLimit: BucketLimit = { limit: 50, windowMs: 1000 },
    /** Requests per second per bot across all routes (Discord: 50). */
    public globalPerSecond = 50,
  ) {}

  /** Forced 429s that have not hit a call yet. */
  pendingForced(): number {
    return this.forced.length;
  }

  force(count: number, limit: ForcedLimit): void {
    for (let i = 0; i < count; i++) this.forced.push(limit);
  }

  /** Accounts one call on `route` (e.g. `POST /channels/:id/messages`) with its major parameter. */
  take(route: string, major: string, now = Date.now()): RateDecision {
    const forcedAt = this.forced.findIndex((f) => !f.routes || f.routes.includes(route));
    const limit = route === 'POST /channels/:id/messages' ? this.messageLimit : this.routeLimit;
    const hash = createHash('sha1').update(route).digest('hex').slice(0, 16);
    const key = `${route}|${major}`;
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.resetAt <= now) {
      bucket = { remaining: limit.limit, resetAt: now + limit.windowMs };
      this.buckets.set(key, bucket);
    }
    const resetAfter = Math.max(0, bucket.resetAt - now) / 1000;
    const headers = (remaining: number): Record<string, string> => ({
      'x-ratelimit-limit': String(limit.limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': (bucket!.resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-bucket': hash,
    });
    if (forcedAt >= 0) {
      const forced = this.forced.splice(forcedAt, 1)[0]!;
      return this.refuse(
        forced.global,
        forced.retryAfterSeconds,
        headers(forced.global ? bucket.remaining : 0),
      );
    }
    if (this.global.resetAt <= now) this.global = { remaining: this.globalPerSecond, resetAt: now + 1000 };
    if (this.global.remaining <= 0)
      return this.refuse(true, (this.global.resetAt - now) / 1000, headers(bucket.remaining));
    if (bucket.remaining <= 0) return this.refuse(false, resetAfter, headers(0));
    this.global.remaining--;
    bucket.remaining--;
    return { headers: headers(bucket.remaining) };
  }

  private refuse(global: boolean, retryAfterSeconds: number, base: Record<string, string>): RateDecision {
    const seconds = Math.max(0.001, retryAfterSeconds);
    if (global) this.refused.global++;
    else this.refused.route++;
    const headers: Record<string, string> = {
      ...(global ? {} : base),
      'retry-after': String(Math.ceil(seconds)),
      'x-ratelimit-scope': global ? 'global' : 'user',
      ...(global ? { 'x-ratelimit-global': 'true' } : {}),
    };
    return { headers, refused: { global, retryAfterSeconds: seconds } };
  }
}
