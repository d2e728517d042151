// Two monotonic numbers shared by all host replicas through Redis: the watch cursor
// (last event fully handed to the queues) and, per request, the highest version seen (kept
// `keys.requestTtlSeconds` after its last raise).
// Both only ever move up, so replicas racing each other cannot move them back.

import type { Redis } from 'ioredis';
import type { HostKeys } from '../redis/keys.js';

const RAISE = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
local v = tonumber(ARGV[1])
if v > cur then
  if ARGV[2] ~= '0' then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) else redis.call('SET', KEYS[1], ARGV[1]) end
  return v
end
return cur`;

// raiseTo for many keys in one command: KEYS = the keys, ARGV = ttl seconds, then one value per key.
const RAISE_MANY = `
for i, key in ipairs(KEYS) do
  local v = tonumber(ARGV[i + 1])
  if v > tonumber(redis.call('GET', key) or '-1') then redis.call('SET', key, ARGV[i + 1], 'EX', ARGV[1]) end
end
return #KEYS`;

type RaiseCommand = {
  raiseTo(key: string, value: number, ttl: number): Promise<number>;
  /** numKeys, ...keys, ttl, ...values */
  raiseMany(...args: (string | number)[]): Promise<number>;
};

export class Progress {
  private readonly redis: Redis & RaiseCommand;

  constructor(
    redis: Redis,
    private readonly keys: HostKeys,
  ) {
    redis.defineCommand('raiseTo', { numberOfKeys: 1, lua: RAISE });
    // No numberOfKeys: the call gives it first.
    redis.defineCommand('raiseMany', { lua: RAISE_MANY });
    this.redis = redis as Redis & RaiseCommand;
  }

  async cursor(): Promise<number | null> {
    const raw = await this.redis.get(this.keys.cursor);
    return raw === null ? null : Number(raw);
  }

  /** Sets the cursor only when none exists (first start of the first replica). */
  async initCursor(seq: number): Promise<void> {
    await this.redis.set(this.keys.cursor, String(seq), 'NX');
  }

  /**
   * Sets the cursor even below where it is: only for a cursor the API says is beyond the end of
   * its log (INVALID_CURSOR), where moving up is not possible.
   */
  async resetCursor(seq: number): Promise<void> {
    await this.redis.set(this.keys.cursor, String(seq));
  }

  async advanceCursor(seq: number): Promise<number> {
    return this.redis.raiseTo(this.keys.cursor, seq, 0);
  }

  /** Raises each request's highest version seen, in one command (all keys live on the one Redis the host uses). */
  async sawVersions(requests: { id: string; version: number }[]): Promise<void> {
    if (requests.length === 0) return;
    await this.redis.raiseMany(
      requests.length,
      ...requests.map((r) => this.keys.latestVersion(r.id)),
      this.keys.requestTtlSeconds,
      ...requests.map((r) => r.version),
    );
  }

  async latestVersion(requestId: string): Promise<number> {
    return Number((await this.redis.get(this.keys.latestVersion(requestId))) ?? 0);
  }
}
