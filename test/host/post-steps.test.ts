// The claim and commit around each post run as one Redis script call per event-loop turn for
// many deliveries. These tests make the calls side by side (one batch) and check that each
// caller gets what it would have got calling alone, in the order the calls were made.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostSteps } from '../../src/host/delivery/post-steps.js';
import { hostKeys } from '../../src/host/redis/keys.js';
import type { Target } from '../../src/plugin-sdk/index.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

let server: TestRedis;
let redis: Redis;
const keys = hostKeys('poststeps');
let steps: PostSteps;

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis({ ...server.options, enableAutoPipelining: true });
  steps = new PostSteps(redis, keys, 30_000);
});

afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const target = (n: number): Target => ({
  id: `https://receiver.test/${n}`,
  kind: 'url',
  audience: 'reviewer',
});
const lockKey = (requestId: string, tkey: string) => `${keys.refs('webhook', requestId)}:lock:${tkey}`;

describe('post steps made side by side', () => {
  it('claim many targets in one go: each is created, locked and reports its own latest version', async () => {
    await redis.set(keys.latestVersion('r1'), '3');
    const claims = await Promise.all(
      [1, 2, 3].map((n) =>
        steps.claimAndLock(
          'webhook',
          n === 3 ? 'r2' : 'r1',
          `t${n}`,
          target(n),
          `d${n}`,
          lockKey(n === 3 ? 'r2' : 'r1', `t${n}`),
          'job-a',
        ),
      ),
    );
    expect(
      claims.map((c) => [c.outcome, c.created, c.latest, c.record.deliveryId, c.record.target.id]),
    ).toEqual([
      ['locked', true, 3, 'd1', 'https://receiver.test/1'],
      ['locked', true, 3, 'd2', 'https://receiver.test/2'],
      ['locked', true, 0, 'd3', 'https://receiver.test/3'],
    ]);
  });

  it('a second claim of the same target in the same batch sees the first one: not created, lock busy for another owner', async () => {
    const [first, again, other] = await Promise.all([
      steps.claimAndLock('webhook', 'r3', 't1', target(1), 'd-r3', lockKey('r3', 't1'), 'job-a'),
      steps.claimAndLock('webhook', 'r3', 't1', target(1), 'd-r3', lockKey('r3', 't1'), 'job-a'),
      steps.claimAndLock('webhook', 'r3', 't1', target(1), 'd-r3', lockKey('r3', 't1'), 'job-b'),
    ]);
    expect([first!.outcome, first!.created]).toEqual(['locked', true]);
    // The same owner takes its own lock again; another owner finds it busy.
    expect([again!.outcome, again!.created]).toEqual(['locked', false]);
    expect([other!.outcome, other!.created]).toEqual(['busy', false]);
    // A claim with another delivery id is not ours to post.
    const stranger = await steps.claimAndLock(
      'webhook',
      'r3',
      't1',
      target(1),
      'd-other',
      lockKey('r3', 't1'),
      'job-c',
    );
    expect(stranger.outcome).toBe('not-ours');
  });

  it('commit many in one go: each record becomes posted with its ref, and a lock stays held only where a newer version arrived', async () => {
    for (const id of ['r4', 'r5']) {
      await steps.claimAndLock('webhook', id, 't1', target(1), `d-${id}`, lockKey(id, 't1'), 'job-a');
    }
    await redis.set(keys.latestVersion('r4'), '1');
    await redis.set(keys.latestVersion('r5'), '2');
    const [c4, c5] = await Promise.all([
      steps.commitAndUnlock('webhook', 'r4', 't1', lockKey('r4', 't1'), 'job-a', { url: 'u4' }, 1),
      steps.commitAndUnlock('webhook', 'r5', 't1', lockKey('r5', 't1'), 'job-a', { url: 'u5' }, 1),
    ]);
    expect(c4).toEqual({ latest: 1, released: true });
    expect(c5).toEqual({ latest: 2, released: false });
    expect(await redis.get(lockKey('r4', 't1'))).toBeNull();
    expect(await redis.get(lockKey('r5', 't1'))).toBe('job-a');
    const stored = JSON.parse((await redis.hget(keys.refs('webhook', 'r5'), 't1'))!);
    expect([stored.state, JSON.parse(stored.ref), stored.renderedVersion]).toEqual([
      'posted',
      { url: 'u5' },
      1,
    ]);
    // Committing again changes nothing: the record is already posted.
    await steps.commitAndUnlock('webhook', 'r5', 't1', lockKey('r5', 't1'), 'job-a', { url: 'other' }, 1);
    const again = JSON.parse((await redis.hget(keys.refs('webhook', 'r5'), 't1'))!);
    expect(JSON.parse(again.ref)).toEqual({ url: 'u5' });
  });

  it('the commit that posts a target enters the request in the reminder index once, keeping the first due time', async () => {
    for (const tkey of ['t1', 't2']) {
      await steps.claimAndLock(
        'webhook',
        'r7',
        tkey,
        target(1),
        `d-r7-${tkey}`,
        lockKey('r7', tkey),
        'job-a',
      );
    }
    await Promise.all([
      steps.commitAndUnlock('webhook', 'r7', 't1', lockKey('r7', 't1'), 'job-a', { url: 'u' }, 1, 5_000),
      steps.commitAndUnlock('webhook', 'r7', 't2', lockKey('r7', 't2'), 'job-a', { url: 'u' }, 1, 9_000),
      // No reminder for this one (another request, nothing due).
      steps.commitAndUnlock('webhook', 'r4', 't1', lockKey('r4', 't1'), 'job-a', { url: 'u' }, 1),
    ]);
    expect(await redis.zrange(keys.reminderDue('webhook'), 0, -1, 'WITHSCORES')).toEqual(['r7', '5000']);
    // A commit that finds the target already posted schedules nothing.
    await redis.del(keys.reminderDue('webhook'));
    await steps.commitAndUnlock('webhook', 'r7', 't1', lockKey('r7', 't1'), 'job-a', { url: 'u' }, 1, 7_000);
    expect(await redis.zcard(keys.reminderDue('webhook'))).toBe(0);
  });

  it('fails every call of a batch when Redis cannot run it, and works again after', async () => {
    // A client whose server is gone, and which does not queue commands while it is.
    const broken = new Redis({
      path: `${server.dir}/no-such.sock`,
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    const brokenSteps = new PostSteps(broken, keys, 30_000);
    const results = await Promise.allSettled(
      [1, 2].map((n) =>
        brokenSteps.claimAndLock(
          'webhook',
          'r6',
          `t${n}`,
          target(n),
          `d${n}`,
          lockKey('r6', `t${n}`),
          'job-a',
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    broken.disconnect();
    const ok = await steps.claimAndLock('webhook', 'r6', 't1', target(1), 'd1', lockKey('r6', 't1'), 'job-a');
    expect(ok.outcome).toBe('locked');
  });
});
