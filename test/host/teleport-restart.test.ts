// A host on a Teleport cluster stopped in the middle of a burst and started again on the same
// Redis: the new host (a fresh source, no memory of its own) finds the cursor the first left,
// posts what it had not posted, shows what was decided while no host ran, and posts nothing twice.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webhookPlugin from '../../plugins/webhook/index.js';
import { configurePlugins } from '../../src/config/plugin-blocks.js';
import { configSchema } from '../../src/config/schema.js';
import { type RunningHost, startHost } from '../../src/host/index.js';
import { openTeleportSource } from '../../src/host/source/teleport/index.js';
import { createLogger } from '../../src/log.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { startTestCluster, type TestCluster } from '../fakes/teleport/teleport-cluster.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { testRedisOptions, waitFor } from '../support/stack.js';

const SECRET = 'teleport-restart-secret-0123456';
const log = createLogger({ level: 'silent' });

describe('a host on Teleport restarted mid-burst', { timeout: 90_000 }, () => {
  let cluster: TestCluster;
  let receiver: Receiver;
  const prefix = `t${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    cluster = await startTestCluster({
      users: ['rita', 'alice'],
      policies: { dba: { reviewers: ['alice'] } },
      reviewForOthers: true,
    });
    receiver = await startReceiver({ secret: SECRET });
  });
  afterAll(async () => {
    await receiver?.stop();
    await cluster?.stop();
  });

  async function startOne(): Promise<{ host: RunningHost; stop(): Promise<void> }> {
    const config = configSchema.parse({
      host: {
        listen: '127.0.0.1:0',
        redis: { prefix },
        routing: [{ roles: ['*'], targets: { webhook: [receiver.urlFor('ops')] } }],
        delivery: { backoff: '50ms', max_backoff: '1s', attempts: 30 },
        source: 'teleport',
        teleport: {
          address: cluster.auth.address,
          identity_file: cluster.identityFile,
          email_domain: 'example.com',
        },
      },
      plugins: { webhook: { secret: SECRET } },
    });
    const opened = await openTeleportSource(config.host.teleport!, log);
    const host = await startHost({
      config,
      client: opened.source,
      log,
      redis: testRedisOptions(),
      plugins: await configurePlugins(
        config.plugins,
        new Map([['webhook', webhookPlugin as unknown as PluginDefinition]]),
      ),
    });
    return {
      host,
      async stop() {
        await host.close();
        await opened.close();
      },
    };
  }

  const posts = (id: string) =>
    receiver.deliveries().filter((d) => d.requestId === id && d.event === 'request.posted');
  const shows = (id: string) => receiver.latest(id, '/ops')?.state;

  it('posts each request once and shows what was decided while it was down', async () => {
    const first = await startOne();
    await waitFor(() => cluster.auth.openWatches > 0, 10_000, 'the first host watching');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push(cluster.auth.createRequest({ user: 'rita', roles: ['dba'], reason: `before ${i}` }));
    await waitFor(() => posts(ids[0]!).length > 0, 15_000, 'the first posts');
    await first.stop();
    // While no host runs: more requests, and some decided.
    for (let i = 0; i < 10; i++)
      ids.push(cluster.auth.createRequest({ user: 'rita', roles: ['dba'], reason: `while down ${i}` }));
    const decided = [ids[0]!, ids[19]!, ids[25]!];
    for (const id of decided) cluster.auth.reviewAsUser('alice', id, 'APPROVED', 'while down');
    const second = await startOne();
    try {
      await waitFor(
        () =>
          ids.every(
            (id) => posts(id).length > 0 && shows(id) === (decided.includes(id) ? 'APPROVED' : 'PENDING'),
          ),
        30_000,
        'every request posted, in its newest state',
      );
      await new Promise((resolve) => setTimeout(resolve, 800));
      // One post per request, and not one call twice: a clean restart re-sends nothing (the
      // receiver keeps one copy per delivery id; accepted() counts every call).
      for (const id of ids) expect(posts(id), `posts of ${id}`).toHaveLength(1);
      expect(receiver.accepted()).toBe(receiver.deliveries().length);
    } finally {
      await second.stop();
    }
  });
});
