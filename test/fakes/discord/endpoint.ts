// A plugin's inbound route served on 127.0.0.1, for plugin-level tests that send interactions
// the way Discord does (over HTTP, to a URL) without starting the whole host.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InboundRoute } from '../../../src/plugin-sdk/index.js';
import { readBody } from '../read-body.js';

export interface ServedRoute {
  url: string;
  stop(): Promise<void>;
}

export async function serveRoute(route: InboundRoute): Promise<ServedRoute> {
  const server = createServer((req, res) => {
    void (async () => {
      const rawBody = await readBody(req);
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
      const answer = await route.handler({
        method: req.method ?? 'POST',
        path: route.path,
        headers,
        rawBody,
        query: {},
      });
      const body =
        answer.body === undefined
          ? ''
          : typeof answer.body === 'string' || Buffer.isBuffer(answer.body)
            ? answer.body
            : JSON.stringify(answer.body);
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(body);
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${route.path}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
