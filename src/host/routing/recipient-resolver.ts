// Resolves raw recipients (`#ops`, `bob@example.com`, a URL) to targets through the plugin,
// caching answers in Redis for an hour so a burst of requests does not become a burst of
// platform lookups, and in this process for a minute so a burst does not become a burst of
// Redis reads either. A recipient the platform refuses permanently is logged and left out
// (the other targets still get the request); anything else fails the routing, to be retried.

import type { Redis } from 'ioredis';
import type { Logger, Target } from '../../plugin-sdk/index.js';
import { isPermanent } from '../delivery/retry-classifier.js';
import type { RawRecipient } from './router.js';

const CACHE_TTL_SECONDS = 3600;
const MEMO_TTL_MS = 60_000;
const MEMO_MAX = 5000;

export type ResolveRecipient = (raw: string, audience: Target['audience']) => Promise<Target>;

export class RecipientResolver {
  private readonly memo = new Map<string, { target: Target; at: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly cacheKey: string,
    private readonly resolve: ResolveRecipient,
    private readonly log: Logger,
  ) {}

  async targets(recipients: RawRecipient[]): Promise<Target[]> {
    if (recipients.length === 0) return [];
    const fields = recipients.map((r) => `${r.audience}\u0000${r.raw}`);
    const now = Date.now();
    const found: (Target | undefined)[] = fields.map((f) => {
      const hit = this.memo.get(f);
      return hit && now - hit.at < MEMO_TTL_MS ? hit.target : undefined;
    });
    const missing = fields.filter((_, i) => !found[i]);
    if (missing.length > 0) {
      const cached = await this.redis.hmget(this.cacheKey, ...missing);
      const byField = new Map(missing.map((f, i) => [f, cached[i]]));
      const fresh: Record<string, string> = {};
      for (const [i, r] of recipients.entries()) {
        if (found[i]) continue;
        const field = fields[i]!;
        const hit = byField.get(field);
        try {
          found[i] = hit ? (JSON.parse(hit) as Target) : await this.resolve(r.raw, r.audience);
        } catch (err) {
          if (!isPermanent(err)) throw err;
          this.log.warn(
            { recipient: r.raw, err: err instanceof Error ? err.message : String(err) },
            'recipient skipped',
          );
          continue;
        }
        if (!hit) fresh[field] = JSON.stringify(found[i]);
        this.remember(field, found[i]!, now);
      }
      if (Object.keys(fresh).length > 0) {
        await this.redis.multi().hset(this.cacheKey, fresh).expire(this.cacheKey, CACHE_TTL_SECONDS).exec();
      }
    }
    const seen = new Set<string>();
    return found.filter((t): t is Target => {
      if (!t) return false;
      const key = `${t.audience}\u0000${t.id}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  private remember(field: string, target: Target, at: number): void {
    if (this.memo.size >= MEMO_MAX) this.memo.clear();
    this.memo.set(field, { target, at });
  }
}
