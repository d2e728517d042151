// A fake Teleport proxy with TLS routing: it terminates mTLS with the cluster's certificate
// (SNI teleport.cluster.local), requires a client certificate from the cluster CA, and routes
// a connection to the auth service only when its ALPN protocol is
// `teleport-auth@<hex cluster name>.teleport.cluster.local`; anything else is closed.

import { connect, type Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { Ca, Issued } from './certs.js';

export interface RoutingProxy {
  address: string;
  /** What each accepted connection offered and who it was. */
  seen: { alpn: string | false | null; sni: string | undefined; cn: string }[];
  stop(): Promise<void>;
}

export async function startRoutingProxy(opts: {
  ca: Ca;
  server: Issued;
  clusterName: string;
  authPort: number;
}): Promise<RoutingProxy> {
  const route = `teleport-auth@${Buffer.from(opts.clusterName).toString('hex')}.teleport.cluster.local`;
  const seen: RoutingProxy['seen'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer(
    {
      key: opts.server.keyPem,
      cert: opts.server.certPem,
      ca: opts.ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: [route, 'http/1.1'],
    },
    (tls: TLSSocket) => {
      sockets.add(tls);
      tls.on('close', () => sockets.delete(tls));
      const cn = String((tls.getPeerCertificate().subject as { CN?: string } | undefined)?.CN ?? '');
      seen.push({ alpn: tls.alpnProtocol, sni: (tls as TLSSocket & { servername?: string }).servername, cn });
      if (tls.alpnProtocol !== route) {
        tls.destroy();
        return;
      }
      const upstream = connect(opts.authPort, '127.0.0.1');
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      tls.pipe(upstream);
      upstream.pipe(tls);
      tls.on('error', () => upstream.destroy());
      upstream.on('error', () => tls.destroy());
      tls.on('close', () => upstream.destroy());
      upstream.on('close', () => tls.destroy());
    },
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    seen,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
