// Retries as an operator sees them: 5xx is retried with backoff, 429 waits for Retry-After
// without spending attempts, a permanent 4xx goes straight to the dead letters, and
// `deliveries retry` sends it once the receiver is fixed. Each request still arrives once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDeliveries, retryDeliveries } from '../../src/host/ops/deliveries-cli.js';
import type { Receiver } from '../support/receiver.js';
import type { TestStack } from '../support/stack.js';
import { startWebhookWorld, type WebhookWorld } from './webhook-world.js';

const SECRET = 'retry-test-secret-0123456789';
let world: WebhookWorld;
let receiver: Receiver;
let stack: TestStack;

beforeAll(async () => {
  world = await startWebhookWorld(SECRET, (r) => ({
    // Two attempts only: a 429 that spent attempts would dead-letter after the second one.
    delivery: { attempts: 2, backoff: '200ms', max_backoff: '1s' },
    routing: [
      { roles: ['dba'], targets: { webhook: [r.urlFor('flaky')] } },
      { roles: ['dev-*'], targets: { webhook: [r.urlFor('gone')] } },
    ],
  }));
  ({ receiver, stack } = world);
});

afterAll(async () => {
  await world?.stop();
});

const postsOf = (id: string) =>
  receiver.deliveries().filter((d) => d.requestId === id && d.event === 'request.posted');

describe('delivery retries', () => {
  it('retries a 500 and delivers once', async () => {
    const failedBefore = receiver.failedCalls();
    receiver.answer((call, path) => (path === '/flaky' && call === 1 ? { status: 500 } : null));
    const alice = await stack.clientFor('alice');
    const req = await alice.createRequest({ roles: ['dba'], reason: 'retry me' });
    await stack.waitFor(() => postsOf(req.id).length === 1, 20_000, 'delivery after a 500');
    expect(receiver.failedCalls() - failedBefore).toBe(1);
    receiver.answer(null);
  });

  it('waits for Retry-After on 429 without spending attempts', async () => {
    let limitedAt = 0;
    const failedBefore = receiver.failedCalls();
    receiver.answer((call, path) => {
      if (path !== '/flaky' || call > 3) return null;
      limitedAt = Date.now();
      return { status: 429, retryAfter: '1' };
    });
    const alice = await stack.clientFor('alice');
    const started = Date.now();
    const req = await alice.createRequest({ roles: ['dba'], reason: 'rate limited' });
    const [post] = await stack.waitFor(
      () => (postsOf(req.id).length === 1 ? postsOf(req.id) : undefined),
      30_000,
      'delivery after 429s',
    );
    // Three 429s, each asking for a second: at least ~3 s, and delivered although attempts=2.
    expect(post!.at - started).toBeGreaterThanOrEqual(2_900);
    expect(post!.at - limitedAt).toBeGreaterThanOrEqual(950);
    expect(receiver.failedCalls() - failedBefore).toBe(3);
    receiver.answer(null);
  });

  it('puts a permanent 404 straight into the dead letters; retry delivers it once fixed', async () => {
    const failedBefore = receiver.failedCalls();
    receiver.answer((_call, path) => (path === '/gone' ? { status: 404 } : null));
    const alice = await stack.clientFor('alice');
    const req = await alice.createRequest({ roles: ['dev-web'], reason: 'dead letter' });
    const failed = await stack.waitFor(
      async () => {
        const rows = await listDeliveries(stack.config, { failed: true, redis: stack.redisOptions });
        return rows.find((r) => r.requestId === req.id && r.op === 'post');
      },
      20_000,
      'a dead letter',
    );
    expect(failed.attempts).toBe(1);
    expect(failed.error).toMatch(/permanent/);
    expect(receiver.failedCalls() - failedBefore).toBe(1);

    receiver.answer(null);
    const count = await retryDeliveries(stack.config, { id: failed.id, redis: stack.redisOptions });
    expect(count).toBe(1);
    await stack.waitFor(() => postsOf(req.id).length === 1, 20_000, 'delivery after retry');
    const still = await listDeliveries(stack.config, { failed: true, redis: stack.redisOptions });
    expect(still.find((r) => r.id === failed.id)).toBeUndefined();
  });

  it('refuses to retry an unknown delivery id', async () => {
    await expect(
      retryDeliveries(stack.config, { id: 'post.webhook.nope', redis: stack.redisOptions }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
