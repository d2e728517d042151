// A local bridge for a Teleport proxy with TLS routing (Teleport Cloud, a proxy on :443):
// the proxy routes a connection to the auth service by the ALPN protocol
// `teleport-auth@<hex cluster name>.teleport.cluster.local`, but grpc-js always offers only
// `h2`. So grpc-js speaks plain HTTP/2 to this bridge over a Unix socket in a private folder,
// and the bridge opens the mTLS connection to the proxy with the right ALPN and the current
// identity, then copies bytes both ways. Every new connection uses the identity of the moment.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { TeleportIdentity } from './identity-file.js';

/** The SNI and name the cluster's own certificates carry. */
export const TELEPORT_SERVER_NAME = 'teleport.cluster.local';

export function authAlpnProtocol(clusterName: string): string {
  return `teleport-auth@${Buffer.from(clusterName, 'utf8').toString('hex')}.${TELEPORT_SERVER_NAME}`;
}

export interface AlpnBridge {
  /** The gRPC target grpc-js dials (`unix:/…/bridge.sock`). */
  target: string;
  close(): Promise<void>;
}

export async function startAlpnBridge(opts: {
  host: string;
  port: number;
  clusterName: string;
  identity: () => TeleportIdentity;
  connectTimeoutMs: number;
}): Promise<AlpnBridge> {
  // A folder only this user can enter: the socket carries the plugin's identity.
  const dir = await mkdtemp(join(tmpdir(), 'accessbot-teleport-'));
  const path = join(dir, 'bridge.sock');
  const sockets = new Set<Socket>();
  const server: Server = createServer((local) => {
    sockets.add(local);
    local.on('close', () => sockets.delete(local));
    const id = opts.identity();
    const remote = tlsConnect({
      host: opts.host,
      port: opts.port,
      servername: TELEPORT_SERVER_NAME,
      ALPNProtocols: [authAlpnProtocol(opts.clusterName), 'h2'],
      key: id.key,
      cert: id.cert,
      ca: id.cas,
      timeout: opts.connectTimeoutMs,
    });
    sockets.add(remote);
    remote.on('close', () => sockets.delete(remote));
    remote.on('timeout', () => remote.destroy(new Error('connect timeout')));
    remote.on('error', () => local.destroy());
    local.on('error', () => remote.destroy());
    remote.once('secureConnect', () => {
      remote.setTimeout(0);
      local.pipe(remote);
      remote.pipe(local);
    });
    local.on('close', () => remote.destroy());
    remote.on('close', () => local.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    target: `unix:${path}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
