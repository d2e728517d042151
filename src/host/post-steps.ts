// The Redis work around one platform post, in one round trip before it and one after it,
// since this is what every delivery pays (it used to be six round trips).
//
//   before: claim the target's `posting` record (compare-and-set: only when none exists), and
//           only when the record is ours to post, take the target lock (the rule of
//           target-lock.ts) and read the latest version seen;
//   after:  commit posting → posted, read the latest version, and let go of the lock unless a
//           newer version arrived meanwhile (the caller renders it first).
//
// These are the only writers of `posting` and `posted` records (message-refs.ts reads them and
// raises renderedVersion); the keys of one delivery are always on one Redis (no cluster
// hash-slot split to worry about).

import type { Redis } from 'ioredis';
import type { MessageRef, Target } from '../plugin-sdk/index.js';
import type { HostKeys } from './keys.js';
import { decodeRefRecord, encodeClaim, REF_TTL_SECONDS, type RefRecord } from './message-refs.js';

// KEYS: refs hash, lock, latest version. ARGV: field, claim json, ttl, deliveryId, owner, lock ttl ms.
// Returns {stored record, 1 locked | 0 lock busy | -1 not ours to post, latest version, 1 if this call created the record}.
const CLAIM_AND_LOCK = `
local created = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local rec = cjson.decode(raw)
local locked = -1
if rec.deliveryId == ARGV[4] and rec.state == 'posting' then
  locked = 0
  local cur = redis.call('GET', KEYS[2])
  if (not cur) or cur == ARGV[5] then
    redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[6])
    locked = 1
  end
end
return {raw, locked, redis.call('GET', KEYS[3]) or '0', created}`;

// KEYS: refs hash, latest version, lock. ARGV: field, ref json, version, ttl, owner.
// Returns {1 committed | 0 already posted | -1 no record, latest version, 1 lock released | 0 kept}.
const COMMIT_AND_UNLOCK = `
local committed = -1
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local rec = cjson.decode(cur)
  if rec.state == 'posted' then
    committed = 0
  else
    rec.state = 'posted'
    rec.ref = ARGV[2]
    rec.renderedVersion = tonumber(ARGV[3])
    redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
    redis.call('EXPIRE', KEYS[1], ARGV[4])
    committed = 1
  end
end
local latest = tonumber(redis.call('GET', KEYS[2]) or '0')
local released = 0
if latest <= tonumber(ARGV[3]) then
  if redis.call('GET', KEYS[3]) == ARGV[5] then redis.call('DEL', KEYS[3]) end
  released = 1
end
return {committed, latest, released}`;

type StepCommands = {
  postClaimAndLock(
    refs: string,
    lock: string,
    latest: string,
    field: string,
    json: string,
    ttl: number,
    deliveryId: string,
    owner: string,
    lockTtlMs: number,
  ): Promise<[string, number, string, number]>;
  postCommitAndUnlock(
    refs: string,
    latest: string,
    lock: string,
    field: string,
    ref: string,
    version: number,
    ttl: number,
    owner: string,
  ): Promise<[number, number, number]>;
};

export interface Claimed {
  rec: RefRecord;
  /** 'locked': ours to post and the lock is ours; 'busy': ours but another writer holds the lock. */
  outcome: 'locked' | 'busy' | 'not-ours';
  latest: number;
  /** True when this claim created the record (the target had never been claimed). */
  created: boolean;
}

export class PostSteps {
  private readonly redis: Redis & StepCommands;

  constructor(
    redis: Redis,
    private readonly keys: HostKeys,
    private readonly lockTtlMs: number,
  ) {
    redis.defineCommand('postClaimAndLock', { numberOfKeys: 3, lua: CLAIM_AND_LOCK });
    redis.defineCommand('postCommitAndUnlock', { numberOfKeys: 3, lua: COMMIT_AND_UNLOCK });
    this.redis = redis as Redis & StepCommands;
  }

  async claimAndLock(
    plugin: string,
    requestId: string,
    tkey: string,
    target: Target,
    deliveryId: string,
    lockKey: string,
    owner: string,
  ): Promise<Claimed> {
    const [raw, locked, latest, created] = await this.redis.postClaimAndLock(
      this.keys.refs(plugin, requestId),
      lockKey,
      this.keys.latestVersion(requestId),
      tkey,
      encodeClaim(target, deliveryId),
      REF_TTL_SECONDS,
      deliveryId,
      owner,
      this.lockTtlMs,
    );
    return {
      rec: decodeRefRecord(raw),
      outcome: locked === 1 ? 'locked' : locked === 0 ? 'busy' : 'not-ours',
      latest: Number(latest) || 0,
      created: created === 1,
    };
  }

  /** After a post: posting → posted; the lock is let go unless `latest` is newer than `version`. */
  async commitAndUnlock(
    plugin: string,
    requestId: string,
    tkey: string,
    lockKey: string,
    owner: string,
    ref: MessageRef,
    version: number,
  ): Promise<{ latest: number; released: boolean }> {
    const [, latest, released] = await this.redis.postCommitAndUnlock(
      this.keys.refs(plugin, requestId),
      this.keys.latestVersion(requestId),
      lockKey,
      tkey,
      JSON.stringify(ref),
      version,
      REF_TTL_SECONDS,
      owner,
    );
    return { latest: Number(latest) || 0, released: released === 1 };
  }
}
