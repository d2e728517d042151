// The inbound server answers a HEAD with the plugin's GET route (mail scanners send HEAD
// before GET), without a body; a HEAD never reaches a POST route.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthFailures } from '../../src/host/inbound/auth-failures.js';
import { startInboundServer } from '../../src/host/inbound/inbound-server.js';
import { createHostMetrics } from '../../src/host/ops/metrics.js';
import { createLogger } from '../../src/log.js';
import type { InboundRequest, InboundRoute } from '../../src/plugin-sdk/index.js';

const seen: InboundRequest[] = [];
const routes: InboundRoute[] = [
  {
    method: 'GET',
    path: '/page',
    handler: async (req) => {
      seen.push(req);
      return { status: 200, headers: { 'content-type': 'text/html', 'x-page': 'yes' }, body: '<p>page</p>' };
    },
  },
  {
    method: 'POST',
    path: '/decide',
    handler: async (req) => {
      seen.push(req);
      return { status: 200, body: { decided: true } };
    },
  },
];

let server: Awaited<ReturnType<typeof startInboundServer>>;

beforeAll(async () => {
  const log = createLogger({ level: 'silent' });
  server = await startInboundServer(
    {
      routes: new Map([['demo', routes]]),
      log,
      authFailures: new AuthFailures(log),
      counters: createHostMetrics(),
      health: async () => ({ ready: true, checks: {} }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
    },
    { host: '127.0.0.1', port: 0 },
  );
});

afterAll(async () => {
  await server?.app.close();
});

describe('HEAD on plugin hooks', () => {
  it('is answered by the GET route, headers and no body', async () => {
    const res = await fetch(`${server.url}/hooks/demo/page`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-page')).toBe('yes');
    expect(await res.text()).toBe('');
    expect(seen.at(-1)?.method).toBe('HEAD');
  });

  it('never reaches a POST route', async () => {
    const before = seen.length;
    const res = await fetch(`${server.url}/hooks/demo/decide`, { method: 'HEAD' });
    expect(res.status).toBe(404);
    expect(seen.length).toBe(before);
  });
});
