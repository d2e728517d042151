// Serialises work on one (plugin, request, target) message across workers and replicas, so
// an older render can never land on the platform after a newer one. The lock holds the job id:
// a job re-run after its host was killed takes its own lock back at once; anyone else waits
// for it to expire (ttl), which bounds how long a crash can stall one message.

import type { Redis } from 'ioredis';

const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type LockCommands = {
  targetLockAcquire(key: string, owner: string, ttlMs: number): Promise<number>;
  targetLockRelease(key: string, owner: string): Promise<number>;
};

export class TargetLock {
  private readonly redis: Redis & LockCommands;

  /** The acquire script is run in target-writer.ts's pipeline, beside the reads it needs. */
  constructor(redis: Redis) {
    redis.defineCommand('targetLockAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('targetLockRelease', { numberOfKeys: 1, lua: RELEASE });
    this.redis = redis as Redis & LockCommands;
  }

  async release(key: string, owner: string): Promise<void> {
    await this.redis.targetLockRelease(key, owner);
  }
}
