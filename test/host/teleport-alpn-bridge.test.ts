// Through a TLS-routing proxy (Teleport Cloud): grpc-js offers only h2, so the source dials
// its local ALPN bridge, which opens the mTLS connection with the `teleport-auth@…` protocol
// the proxy routes by. The fake proxy routes nothing else.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestEvent } from '../../src/access/types.js';
import { AuthConnection } from '../../src/host/source/teleport/auth-connection.js';
import { TeleportSource } from '../../src/host/source/teleport/teleport-source.js';
import { createLogger } from '../../src/log.js';
import { issue, makeCa, tempDir, writeIdentityFile } from '../fakes/teleport/certs.js';
import { FakeTeleportAuth } from '../fakes/teleport/fake-auth.js';
import { type RoutingProxy, startRoutingProxy } from '../fakes/teleport/routing-proxy.js';
import { waitFor } from '../support/stack.js';

const log = createLogger({ level: 'silent' });
const CLUSTER = 'acme.teleport.sh';
const ROUTE = `teleport-auth@${Buffer.from(CLUSTER).toString('hex')}.teleport.cluster.local`;

describe('Teleport source through a TLS-routing proxy', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let auth: FakeTeleportAuth;
  let proxy: RoutingProxy;
  let identityFile: string;

  beforeAll(async () => {
    tmp = await tempDir();
    const ca = await makeCa(tmp.dir, 'cluster-ca');
    const server = await issue(ca, 'proxy', 'server');
    auth = new FakeTeleportAuth({
      ca,
      server,
      clusterName: CLUSTER,
      users: ['rita', 'alice', 'access-plugin'],
      pluginUser: 'access-plugin',
      policies: { dba: { reviewers: ['alice'] } },
      reviewForOthers: true,
      behindProxy: true,
    });
    await auth.start();
    proxy = await startRoutingProxy({ ca, server, clusterName: CLUSTER, authPort: auth.port });
    identityFile = join(tmp.dir, 'identity');
    await writeIdentityFile(identityFile, await issue(ca, 'access-plugin', 'client'), ca);
  });
  afterAll(async () => {
    await proxy?.stop();
    await auth?.stop();
    await tmp?.remove();
  });

  it('pings, watches and reviews through the bridge with the teleport-auth ALPN and the identity', async () => {
    const connection = await AuthConnection.open({
      address: proxy.address,
      identityFile,
      tlsRouting: { clusterName: CLUSTER },
      reloadIntervalMs: 1000,
      connectTimeoutMs: 5000,
      log,
    });
    const source = new TeleportSource({
      connection,
      log,
      timeoutMs: 5000,
      initTimeoutMs: 5000,
      reviewAs: 'auto',
    });
    const events: RequestEvent[] = [];
    const abort = new AbortController();
    const watching = source.watch({ since: 0, signal: abort.signal, onEvent: (e) => void events.push(e) });
    try {
      expect(await source.ping()).toEqual({ clusterName: CLUSTER, serverVersion: '17.0.0-fake' });
      await waitFor(() => auth.openWatches > 0, 5000, 'a watch through the proxy');
      const id = auth.createRequest({ user: 'rita', roles: ['dba'] });
      await waitFor(() => events.some((e) => e.request.id === id), 5000, 'the request through the proxy');
      const after = await source.submitReview(id, { proposedState: 'APPROVED', author: 'alice' });
      expect(after.state).toBe('APPROVED');
      expect(proxy.seen.length).toBeGreaterThan(0);
      for (const s of proxy.seen) {
        expect(s).toEqual({
          alpn: ROUTE,
          sni: 'teleport.cluster.local',
          cn: 'access-plugin',
        });
      }
    } finally {
      abort.abort();
      await watching;
      await connection.close();
    }
  });

  it('the proxy closes a connection without the routing ALPN (what plain grpc-js would send)', async () => {
    const { connect } = await import('node:tls');
    const { readFile } = await import('node:fs/promises');
    const { parseIdentity } = await import('../../src/host/source/teleport/identity-file.js');
    const id = parseIdentity(await readFile(identityFile, 'utf8'), identityFile);
    const [host, port] = proxy.address.split(':');
    const routedBefore = proxy.seen.filter((x) => x.alpn === ROUTE).length;
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect({
        host,
        port: Number(port),
        servername: 'teleport.cluster.local',
        ALPNProtocols: ['h2'],
        key: id.key,
        cert: id.cert,
        ca: id.cas,
      });
      s.on('close', () => resolve(true));
      s.on('error', () => {});
    });
    expect(closed).toBe(true);
    expect(proxy.seen.filter((x) => x.alpn === ROUTE).length).toBe(routedBefore);
  });
});
