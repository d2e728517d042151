// `accessbot serve` with `host.source: teleport`, as a user runs it: the real command follows the
// fake Teleport auth service (mTLS, identity file) and the webhook plugin posts a request made
// in the cluster; no access API is started; SIGTERM stops it cleanly.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../fakes/teleport/teleport-cluster.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { testRedisOptions } from '../support/stack.js';
import { startCli, waitUntil } from './cli-runner.js';

const SECRET = 'teleport-serve-webhook-secret-01';

describe('accessbot serve on a Teleport cluster', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let receiver: Receiver;

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

  it('posts a request made in the cluster, and stops on SIGTERM', async () => {
    const file = join(cluster.dir, 'serve.yaml');
    writeFileSync(
      file,
      [
        'host:',
        '  listen: 127.0.0.1:0',
        '  source: teleport',
        '  teleport:',
        `    address: ${cluster.auth.address}`,
        `    identity_file: ${cluster.identityFile}`,
        '    email_domain: example.com',
        '  redis:',
        `    url: unix://${testRedisOptions().path}`,
        `    prefix: tserve${Date.now()}`,
        '  routing:',
        "    - roles: ['*']",
        `      targets: { webhook: ['${receiver.urlFor('ops')}'] }`,
        'plugins:',
        '  webhook:',
        `    secret: ${SECRET}`,
        '',
      ].join('\n'),
    );
    const cli = startCli(['serve', '--config', file]);
    try {
      await waitUntil(() => cli.stdout().includes('plugin host listening on'), 'the host to start');
      expect(cli.stdout()).toContain('following Teleport cluster fake.example.com (17.0.0-fake)');
      expect(cli.stdout()).not.toContain('access API listening');
      const id = cluster.auth.createRequest({ user: 'rita', roles: ['dba'], reason: 'from the cluster' });
      await waitUntil(
        () => receiver.deliveries().some((d) => d.requestId === id && d.event === 'request.posted'),
        'the webhook post',
      );
    } finally {
      cli.child.kill('SIGTERM');
    }
    const done = await cli.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toBe('');
  });
});
