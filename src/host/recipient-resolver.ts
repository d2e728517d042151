// Resolves raw recipients (`#ops`, `bob@example.com`, a URL) to targets through the plugin,
// caching answers in Redis for an hour so a burst of requests does not become a burst of
// platform lookups. A recipient the platform refuses permanently is logged and left out
// (the other targets still get the request); anything else fails the route job, to be retried.

import type { Redis } from 'ioredis';
import type { Logger, PluginInstance, Target } from '../plugin-sdk/index.js';
import { isPermanent } from './retry-policy.js';
import type { RawRecipient } from './router.js';

const CACHE_TTL_SECONDS = 3600;

export async function resolveRecipients(
  redis: Redis,
  cacheKey: string,
  instance: PluginInstance,
  recipients: RawRecipient[],
  log: Logger,
): Promise<Target[]> {
  if (recipients.length === 0) return [];
  const fields = recipients.map((r) => `${r.audience}\u0000${r.raw}`);
  const cached = await redis.hmget(cacheKey, ...fields);
  const targets: Target[] = [];
  const fresh: Record<string, string> = {};
  for (const [i, r] of recipients.entries()) {
    const hit = cached[i];
    if (hit) {
      targets.push(JSON.parse(hit) as Target);
      continue;
    }
    try {
      const target = await instance.resolveRecipient(r.raw, r.audience);
      targets.push(target);
      fresh[fields[i]!] = JSON.stringify(target);
    } catch (err) {
      if (!isPermanent(err)) throw err;
      log.warn(
        { recipient: r.raw, err: err instanceof Error ? err.message : String(err) },
        'recipient skipped',
      );
    }
  }
  if (Object.keys(fresh).length > 0) {
    await redis.multi().hset(cacheKey, fresh).expire(cacheKey, CACHE_TTL_SECONDS).exec();
  }
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${t.audience}\u0000${t.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
