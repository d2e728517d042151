// `accessbot config check --online` with `host.source: teleport`, the real command against the
// fake Teleport auth service: it names the cluster and who will author the reviews, as the
// cluster allows; a config that demands reviews by the person on a cluster that refuses them is
// a problem with its fix; a bad teleport block is one line per problem.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGIN_USER, startTestCluster, type TestCluster } from '../fakes/teleport/teleport-cluster.js';
import { runCli } from './cli-runner.js';

const POLICIES = { dba: { reviewers: ['alice'] } };

function configFor(cluster: TestCluster, name: string, teleport: Record<string, unknown> = {}): string {
  const file = join(cluster.dir, `${name}.yaml`);
  const block = Object.entries({
    address: cluster.auth.address,
    identity_file: cluster.identityFile,
    ...teleport,
  })
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  writeFileSync(file, `host:\n  source: teleport\n  teleport:\n${block}\n`);
  return file;
}

describe('config check --online with a Teleport source', { timeout: 90_000 }, () => {
  let open: TestCluster;
  let strict: TestCluster;

  beforeAll(async () => {
    open = await startTestCluster({ users: ['alice', 'rita'], policies: POLICIES, reviewForOthers: true });
    strict = await startTestCluster({ users: ['alice', 'rita'], policies: POLICIES, reviewForOthers: false });
  });
  afterAll(async () => {
    await open?.stop();
    await strict?.stop();
  });

  it('says the reviews are authored by the person where the cluster allows it', async () => {
    const res = await runCli(['config', 'check', '--online', '--config', configFor(open, 'open')]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(
      `teleport fake.example.com 17.0.0-fake at ${open.auth.address} (as ${PLUGIN_USER};`,
    );
    expect(res.stdout).toContain('teleport reviews: authored by the person');
  });

  it('says they are authored by the plugin user where the cluster refuses, and flags review_as: person', async () => {
    const auto = await runCli(['config', 'check', '--online', '--config', configFor(strict, 'auto')]);
    expect(auto.code).toBe(0);
    expect(auto.stdout).toContain(
      `teleport reviews: authored by ${PLUGIN_USER}, the person named in the reason`,
    );
    const person = await runCli([
      'config',
      'check',
      '--online',
      '--config',
      configFor(strict, 'person', { review_as: 'person' }),
    ]);
    expect(person.code).not.toBe(0);
    expect(person.stderr).toContain(
      'host.teleport.review_as: review_as is person, but the cluster does not let',
    );
    expect(person.stderr).toContain('set review_as: auto');
  });

  it('a teleport block without its address, or tls_routing without the cluster name, is a config error', async () => {
    const file = join(open.dir, 'bad.yaml');
    writeFileSync(file, 'host:\n  source: teleport\n  teleport:\n    identity_file: /nowhere\n');
    const res = await runCli(['config', 'check', '--config', file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('host.teleport.address');
    const routed = join(open.dir, 'routed.yaml');
    writeFileSync(
      routed,
      'host:\n  source: teleport\n  teleport:\n    address: proxy.example.com:443\n    identity_file: /nowhere\n    tls_routing: true\n',
    );
    const res1 = await runCli(['config', 'check', '--config', routed]);
    expect(res1.code).toBe(1);
    expect(res1.stderr).toContain('tls_routing needs cluster_name');
    const missing = join(open.dir, 'missing.yaml');
    writeFileSync(missing, 'host:\n  source: teleport\n');
    const res2 = await runCli(['config', 'check', '--config', missing]);
    expect(res2.code).toBe(1);
    expect(res2.stderr).toContain('add a host.teleport block');
  });
});
