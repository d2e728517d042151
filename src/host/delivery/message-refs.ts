// Where each (plugin, request, target) message lives on its platform, kept in one Redis hash
// per (plugin, request) and changed only by compare-and-set Lua scripts, so concurrent
// workers on several replicas never overwrite a newer state with an older one.
//
// A record is written as `posting` (with the deterministic delivery id) *before* the platform
// call, and becomes `posted` (with the ref) after it; those two steps are the scripts of
// post-steps.ts, which also take and let go of the target lock in the same round trips. A retry that finds `posting` re-sends with
// the same delivery id, which idempotent receivers use to drop the second copy. Records live
// long after a request is resolved, then go: `keys.requestTtlSeconds` after the last change.

import type { Redis } from 'ioredis';
import type { MessageRef, Target } from '../../plugin-sdk/index.js';
import type { HostKeys } from '../redis/keys.js';

export interface RefRecord {
  target: Target;
  state: 'posting' | 'posted';
  deliveryId: string;
  ref?: MessageRef;
  /** Request version last shown on the platform (0 while posting). */
  renderedVersion: number;
}

// KEYS[1] hash, ARGV: field, version, refJson|'' , ttl. Raises renderedVersion only upwards.
const RENDERED = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return -1 end
local rec = cjson.decode(cur)
local v = tonumber(ARGV[2])
if rec.state ~= 'posted' or (rec.renderedVersion or 0) >= v then return 0 end
rec.renderedVersion = v
if ARGV[3] ~= '' then rec.ref = ARGV[3] end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1`;

/** As stored: target and ref stay JSON strings so Lua's cjson never reshapes them ([] vs {}). */
interface StoredRecord {
  target: string;
  state: 'posting' | 'posted';
  deliveryId: string;
  ref?: string;
  renderedVersion: number;
}

export function decodeRefRecord(raw: string): RefRecord {
  const s = JSON.parse(raw) as StoredRecord;
  return {
    target: JSON.parse(s.target) as Target,
    state: s.state,
    deliveryId: s.deliveryId,
    renderedVersion: Number(s.renderedVersion) || 0,
    ...(s.ref ? { ref: JSON.parse(s.ref) as MessageRef } : {}),
  };
}

/** The stored form of a fresh `posting` claim. */
export function encodeClaim(target: Target, deliveryId: string): string {
  const record: StoredRecord = {
    target: JSON.stringify(target),
    state: 'posting',
    deliveryId,
    renderedVersion: 0,
  };
  return JSON.stringify(record);
}

type RefCommands = {
  refRendered(key: string, field: string, version: number, ref: string, ttl: number): Promise<number>;
};

export class MessageRefs {
  private readonly redis: Redis & RefCommands;

  constructor(
    redis: Redis,
    private readonly keys: HostKeys,
  ) {
    redis.defineCommand('refRendered', { numberOfKeys: 1, lua: RENDERED });
    this.redis = redis as Redis & RefCommands;
  }

  async get(plugin: string, requestId: string, targetKey: string): Promise<RefRecord | null> {
    const raw = await this.redis.hget(this.keys.refs(plugin, requestId), targetKey);
    return raw ? decodeRefRecord(raw) : null;
  }

  async all(plugin: string, requestId: string): Promise<Map<string, RefRecord>> {
    const raw = await this.redis.hgetall(this.keys.refs(plugin, requestId));
    return new Map(Object.entries(raw).map(([k, v]) => [k, decodeRefRecord(v)]));
  }

  /** Records that `version` is now shown; never lowers it. True when this raised it. */
  async rendered(
    plugin: string,
    requestId: string,
    targetKey: string,
    version: number,
    newRef?: MessageRef,
  ): Promise<boolean> {
    const r = await this.redis.refRendered(
      this.keys.refs(plugin, requestId),
      targetKey,
      version,
      newRef ? JSON.stringify(newRef) : '',
      this.keys.requestTtlSeconds,
    );
    return r === 1;
  }
}
