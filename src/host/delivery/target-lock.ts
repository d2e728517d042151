// The target lock: one writer per (plugin, request, target) message at a time, across workers
// and replicas, so an older render can never land on the platform after a newer one. This
// module owns it from taking to release: its Lua (run alone, and inside post-steps.ts's claim
// and commit scripts, which take it and let go of it in the same round trip as their other
// work), its renewal while the holder lives, and its release.
//
// The lock holds the job id: a job re-run after its host was killed takes its own lock back at
// once. Its TTL is short (TARGET_LOCK_TTL_MS) and renewed every third of it while the holder
// runs, so a slow platform call keeps it, and a host killed mid-call blocks its targets only
// until the TTL runs out (a few seconds), not for as long as the slowest call could take.

import type { Redis } from 'ioredis';
import type { HostKeys } from '../redis/keys.js';

export const TARGET_LOCK_TTL_MS = 5_000;

/** Lua functions for scripts that take or let go of target locks (defined once, here). */
export const TARGET_LOCK_LUA = `
local function take_target_lock(lock, owner, ttlMs)
  local cur = redis.call('GET', lock)
  if (not cur) or cur == owner then
    redis.call('SET', lock, owner, 'PX', ttlMs)
    return 1
  end
  return 0
end
local function release_target_lock(lock, owner)
  if redis.call('GET', lock) == owner then redis.call('DEL', lock) return 1 end
  return 0
end
`;

const TAKE = `${TARGET_LOCK_LUA}\nreturn take_target_lock(KEYS[1], ARGV[1], ARGV[2])`;
const RELEASE = `${TARGET_LOCK_LUA}\nreturn release_target_lock(KEYS[1], ARGV[1])`;
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

type LockCommands = {
  targetLockRelease(key: string, owner: string): Promise<number>;
  targetLockRenew(key: string, owner: string, ttlMs: number): Promise<number>;
};

/** A pipeline that can take a target lock beside the reads its holder needs first. */
export interface LockPipeline {
  targetLockTake(key: string, owner: string, ttlMs: number): LockPipeline;
}

/** A lock held by one attempt; the holder reports what a script did with it. */
export interface Lease {
  readonly key: string;
  readonly owner: string;
  /** The commit script let go of the lock (or kept it for a catch-up render). */
  settledByCommit(released: boolean): void;
}

class HeldLease implements Lease {
  released = false;
  constructor(
    readonly key: string,
    readonly owner: string,
  ) {}
  settledByCommit(released: boolean): void {
    this.released = released;
  }
}

export class TargetLock {
  private readonly redis: Redis & LockCommands;
  private readonly held = new Set<HeldLease>();
  private renewer?: NodeJS.Timeout;

  constructor(
    redis: Redis,
    private readonly keys: HostKeys,
    readonly ttlMs = TARGET_LOCK_TTL_MS,
  ) {
    redis.defineCommand('targetLockTake', { numberOfKeys: 1, lua: TAKE });
    redis.defineCommand('targetLockRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('targetLockRenew', { numberOfKeys: 1, lua: RENEW });
    this.redis = redis as Redis & LockCommands;
  }

  keyOf(plugin: string, requestId: string, targetKey: string): string {
    return `${this.keys.refs(plugin, requestId)}:lock:${targetKey}`;
  }

  /** Queues taking the lock in a pipeline (its result: 1 taken, 0 held by another). */
  take(pipeline: LockPipeline, key: string, owner: string): void {
    pipeline.targetLockTake(key, owner, this.ttlMs);
  }

  /**
   * Runs `fn` holding a lock already taken (by `take` or by the claim script): the lock is
   * renewed while `fn` runs and let go of after it, unless the commit script already did.
   */
  async hold<T>(key: string, owner: string, fn: (lease: Lease) => Promise<T>): Promise<T> {
    const lease = new HeldLease(key, owner);
    this.held.add(lease);
    this.renewer ??= setInterval(() => this.renewAll(), Math.max(100, Math.floor(this.ttlMs / 3))).unref();
    try {
      return await fn(lease);
    } finally {
      this.held.delete(lease);
      if (this.held.size === 0 && this.renewer) {
        clearInterval(this.renewer);
        this.renewer = undefined;
      }
      if (!lease.released) await this.release(key, owner);
    }
  }

  /** Lets go of a lock taken but not held (the claim found the target's post job on it). */
  async release(key: string, owner: string): Promise<void> {
    await this.redis.targetLockRelease(key, owner);
  }

  /** One round trip renews every lock this host holds. A lock lost meanwhile stays lost. */
  private renewAll(): void {
    if (this.held.size === 0) return;
    const pipeline = this.redis.pipeline() as unknown as {
      targetLockRenew(key: string, owner: string, ttlMs: number): void;
      exec(): Promise<unknown>;
    };
    for (const lease of this.held) pipeline.targetLockRenew(lease.key, lease.owner, this.ttlMs);
    pipeline.exec().catch(() => {
      // Redis is away: the locks expire, which is what a lost holder's locks should do.
    });
  }

  close(): void {
    if (this.renewer) clearInterval(this.renewer);
    this.renewer = undefined;
  }
}
