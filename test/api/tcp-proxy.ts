// A tiny 127.0.0.1 TCP proxy a test can cut: `cut()` destroys every live connection at
// once; `cutMidChunk()` forwards only part of the next server→client chunk and then
// destroys, so an SSE frame arrives torn in half.

import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface CuttableProxy {
  url: string;
  /** Destroys all live connections; returns how many there were. */
  cut(): number;
  /** Arms a cut in the middle of the next downstream chunk. */
  cutMidChunk(): void;
  liveConnections(): number;
  /** Connections actually cut so far (by either kind of cut). */
  cutsDone(): number;
  close(): Promise<void>;
}

export async function startCuttableProxy(targetPort: number): Promise<CuttableProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let midChunkArmed = false;
  let cutsDone = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (midChunkArmed && chunk.length > 1) {
        midChunkArmed = false;
        cutsDone++;
        client.write(chunk.subarray(0, 1 + Math.floor(Math.random() * (chunk.length - 1))), drop);
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const cut = () => {
    const n = pairs.size;
    cutsDone += n;
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
    return n;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    cut,
    cutMidChunk: () => {
      midChunkArmed = true;
    },
    liveConnections: () => pairs.size,
    cutsDone: () => cutsDone,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}
