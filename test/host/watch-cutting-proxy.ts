// A 127.0.0.1 TCP proxy in front of the access API that, while armed, lets every watch stream
// open (its response headers pass) and then cuts it before a single event gets through. Every
// other call passes untouched, so the host can still read requests and reconcile: only its
// stream makes no progress, as with a stream the API keeps resetting. It also keeps the API's
// request log as the API's door sees it: the request line of every call that passes.

import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface WatchCuttingProxy {
  url: string;
  /** While true, each watch stream is cut right after its response headers. */
  cutWatches(on: boolean): void;
  /** Destroys every live connection now. */
  cutAll(): void;
  /** Watch streams cut so far. */
  watchesCut(): number;
  /** Request lines (`GET /v1/requests?state=PENDING&limit=500`) of every call so far, in order. */
  requests(): string[];
  close(): Promise<void>;
}

const HEADERS_END = Buffer.from('\r\n\r\n');
const REQUEST_LINE = /(?:^|\r\n)((?:GET|HEAD|POST|PUT|PATCH|DELETE) \S+) HTTP\/1\.1\r\n/g;

export async function startWatchCuttingProxy(targetPort: number): Promise<WatchCuttingProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let armed = false;
  let cut = 0;
  const requestLog: string[] = [];
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    // Connections are kept alive and reused: the latest request on this one decides.
    let watching = false;
    let headersSeen = Buffer.alloc(0);
    // Once a stream is cut, nothing more of its response may pass (data can still arrive
    // before the sockets are gone).
    let cutDone = false;
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      for (const m of chunk.toString('latin1').matchAll(REQUEST_LINE)) requestLog.push(m[1]!);
      if (/^GET \/v1\/watch[?\s]/.test(chunk.subarray(0, 64).toString('latin1'))) {
        watching = armed;
        headersSeen = Buffer.alloc(0);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutDone) return;
      if (!watching) {
        client.write(chunk);
        return;
      }
      const seen = Buffer.concat([headersSeen, chunk]);
      const end = seen.indexOf(HEADERS_END);
      if (end < 0) {
        headersSeen = seen;
        return;
      }
      cut++;
      cutDone = true;
      client.write(seen.subarray(0, end + HEADERS_END.length), drop);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const cutAll = () => {
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    cutWatches: (on) => {
      armed = on;
    },
    cutAll,
    watchesCut: () => cut,
    requests: () => [...requestLog],
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}
