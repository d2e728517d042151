// The Redis work around one platform post, in one round trip before it and one after it,
// since this is what every delivery pays (it used to be six round trips).
//
//   before: claim the target's `posting` record (compare-and-set: only when none exists), and
//           only when the record is ours to post, take the target lock (target-lock.ts's Lua)
//           and read the latest version seen;
//   after:  commit posting → posted, read the latest version, and let go of the lock unless a
//           newer version arrived meanwhile (the caller renders it first).
//
// These are the only writers of `posting` and `posted` records (message-refs.ts reads them and
// raises renderedVersion).

import type { Redis } from 'ioredis';
import type { MessageRef, Target } from '../../plugin-sdk/index.js';
import type { HostKeys } from '../redis/keys.js';
import { CallBatcher } from './call-batcher.js';
import { decodeRefRecord, encodeClaim, type RefRecord } from './message-refs.js';
import { TARGET_LOCK_LUA } from './target-lock.js';

// Both scripts take many deliveries at once (CallBatcher gathers the calls of one event-loop
// turn), each handled in order exactly as if it had been its own call. The keys of one call
// may belong to different requests: fine on one Redis, which is what the host supports.

// KEYS, per claim: refs hash, lock, latest version. ARGV, per claim: field, claim json,
// deliveryId, owner; then ttl, lock ttl ms.
// Returns, per claim: {stored record, 1 locked | 0 lock busy | -1 not ours to post, latest
// version, 1 if this claim created the record}.
const CLAIM_AND_LOCK = `${TARGET_LOCK_LUA}
local ttl = ARGV[#ARGV - 1]
local lockTtl = ARGV[#ARGV]
local out = {}
for i = 0, #KEYS / 3 - 1 do
  local refs, lock, latestKey = KEYS[3 * i + 1], KEYS[3 * i + 2], KEYS[3 * i + 3]
  local field, owner = ARGV[4 * i + 1], ARGV[4 * i + 4]
  local created = redis.call('HSETNX', refs, field, ARGV[4 * i + 2])
  redis.call('EXPIRE', refs, ttl)
  local raw = redis.call('HGET', refs, field)
  local rec = cjson.decode(raw)
  local locked = -1
  if rec.deliveryId == ARGV[4 * i + 3] and rec.state == 'posting' then
    locked = take_target_lock(lock, owner, lockTtl)
  end
  out[#out + 1] = raw
  out[#out + 1] = locked
  out[#out + 1] = redis.call('GET', latestKey) or '0'
  out[#out + 1] = created
end
return out`;

// KEYS, per commit: refs hash, latest version, lock, reminder index. ARGV, per commit: field,
// ref json, version, owner, first reminder due (ms, '' for none), request id; then ttl.
// Returns, per commit: {1 committed | 0 already posted | -1 no record, latest version,
// 1 lock released | 0 kept}. The commit that posts a target enters its request in the reminder
// index (reminders.ts) in the same step, so a crash cannot post without scheduling the reminder.
const COMMIT_AND_UNLOCK = `${TARGET_LOCK_LUA}
local ttl = ARGV[#ARGV]
local out = {}
for i = 0, #KEYS / 4 - 1 do
  local refs, latestKey, lock, due = KEYS[4 * i + 1], KEYS[4 * i + 2], KEYS[4 * i + 3], KEYS[4 * i + 4]
  local field, version = ARGV[6 * i + 1], tonumber(ARGV[6 * i + 3])
  local committed = -1
  local cur = redis.call('HGET', refs, field)
  if cur then
    local rec = cjson.decode(cur)
    if rec.state == 'posted' then
      committed = 0
    else
      rec.state = 'posted'
      rec.ref = ARGV[6 * i + 2]
      rec.renderedVersion = version
      redis.call('HSET', refs, field, cjson.encode(rec))
      redis.call('EXPIRE', refs, ttl)
      committed = 1
      if ARGV[6 * i + 5] ~= '' then
        redis.call('ZADD', due, 'NX', ARGV[6 * i + 5], ARGV[6 * i + 6])
      end
    end
  end
  local latest = tonumber(redis.call('GET', latestKey) or '0')
  local released = 0
  if latest <= version then
    release_target_lock(lock, ARGV[6 * i + 4])
    released = 1
  end
  out[#out + 1] = committed
  out[#out + 1] = latest
  out[#out + 1] = released
end
return out`;

/** The largest number of deliveries in one script call (a script blocks Redis while it runs). */
const MAX_BATCH = 64;

type StepCommands = {
  // numkeys first: the number of keys varies with the batch.
  postClaimAndLock(numKeys: number, ...keysThenArgs: (string | number)[]): Promise<(string | number)[]>;
  postCommitAndUnlock(numKeys: number, ...keysThenArgs: (string | number)[]): Promise<number[]>;
};

interface ClaimCall {
  keys: [refs: string, lock: string, latest: string];
  args: [field: string, claim: string, deliveryId: string, owner: string];
}

interface CommitCall {
  keys: [refs: string, latest: string, lock: string, reminderIndex: string];
  args: [
    field: string,
    ref: string,
    version: number,
    owner: string,
    reminderDue: number | '',
    requestId: string,
  ];
}

/** One script call for many deliveries: every call's keys, then every call's arguments, then `tail`. */
function scriptArgs(calls: { keys: string[]; args: (string | number)[] }[], tail: (string | number)[]) {
  const keys = calls.flatMap((c) => c.keys);
  return [keys.length, ...keys, ...calls.flatMap((c) => c.args), ...tail] as const;
}

export interface Claimed {
  record: RefRecord;
  /** 'locked': ours to post and the lock is ours; 'busy': ours but another writer holds the lock. */
  outcome: 'locked' | 'busy' | 'not-ours';
  latest: number;
  /** True when this claim created the record (the target had never been claimed). */
  created: boolean;
}

export class PostSteps {
  private readonly claims: CallBatcher<ClaimCall, [string, number, string, number]>;
  private readonly commits: CallBatcher<CommitCall, [number, number, number]>;

  constructor(
    redis: Redis,
    private readonly keys: HostKeys,
    lockTtlMs: number,
  ) {
    redis.defineCommand('postClaimAndLock', { lua: CLAIM_AND_LOCK });
    redis.defineCommand('postCommitAndUnlock', { lua: COMMIT_AND_UNLOCK });
    const r = redis as Redis & StepCommands;
    this.claims = new CallBatcher(async (calls) => {
      const [numKeys, ...rest] = scriptArgs(calls, [keys.requestTtlSeconds, lockTtlMs]);
      const flat = await r.postClaimAndLock(numKeys, ...rest);
      return calls.map((_, i) => flat.slice(4 * i, 4 * i + 4) as [string, number, string, number]);
    }, MAX_BATCH);
    this.commits = new CallBatcher(async (calls) => {
      const [numKeys, ...rest] = scriptArgs(calls, [keys.requestTtlSeconds]);
      const flat = await r.postCommitAndUnlock(numKeys, ...rest);
      return calls.map((_, i) => flat.slice(3 * i, 3 * i + 3) as [number, number, number]);
    }, MAX_BATCH);
  }

  async claimAndLock(
    plugin: string,
    requestId: string,
    targetKey: string,
    target: Target,
    deliveryId: string,
    lockKey: string,
    owner: string,
  ): Promise<Claimed> {
    const [raw, locked, latest, created] = await this.claims.call({
      keys: [this.keys.refs(plugin, requestId), lockKey, this.keys.latestVersion(requestId)],
      args: [targetKey, encodeClaim(target, deliveryId), deliveryId, owner],
    });
    return {
      record: decodeRefRecord(raw),
      outcome: locked === 1 ? 'locked' : locked === 0 ? 'busy' : 'not-ours',
      latest: Number(latest) || 0,
      created: created === 1,
    };
  }

  /**
   * After a post: posting → posted; the lock is let go unless `latest` is newer than `version`.
   * `reminderDue` (ms): when this commit posts the target, the request's first reminder is due
   * then (kept if the request is already in the index).
   */
  async commitAndUnlock(
    plugin: string,
    requestId: string,
    targetKey: string,
    lockKey: string,
    owner: string,
    ref: MessageRef,
    version: number,
    reminderDue?: number,
  ): Promise<{ latest: number; released: boolean }> {
    const [, latest, released] = await this.commits.call({
      keys: [
        this.keys.refs(plugin, requestId),
        this.keys.latestVersion(requestId),
        lockKey,
        this.keys.reminderDue(plugin),
      ],
      args: [targetKey, JSON.stringify(ref), version, owner, reminderDue ?? '', requestId],
    });
    return { latest: Number(latest) || 0, released: released === 1 };
  }
}
