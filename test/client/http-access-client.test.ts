// HttpAccessClient's error contract: the server's code comes back as the same typed error,
// and an API that is not there is API_UNAVAILABLE (not a raw fetch TypeError).

import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { expectRejectCode } from '../api/helpers.js';
import { startTestApi, type TestApi } from '../support/api.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => {
  await t?.stop();
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it('turns connection refused into API_UNAVAILABLE, for calls and for watch', async () => {
  const client = new HttpAccessClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, token: 'abt_x' });
  const err = await expectRejectCode(client.whoami(), 'API_UNAVAILABLE');
  expect(err.status).toBe(503);
  expect(err.message).toContain('ECONNREFUSED');

  const reasons: unknown[] = [];
  const abort = new AbortController();
  const watching = client.watch({
    since: 0,
    signal: abort.signal,
    onEvent: () => {},
    onReconnect: (e) => {
      reasons.push(e);
      if (reasons.length === 3) abort.abort();
    },
  });
  await watching;
  expect(reasons).toHaveLength(3);
  expect(reasons.every((r) => (r as { code?: string }).code === 'API_UNAVAILABLE')).toBe(true);
});

it('rebuilds the server error with its code, status and details', async () => {
  const err = await expectRejectCode(
    t.adminClient.upsertUser({ name: 'zed', roles: ['ghost-a', 'ghost-b'] }),
    'UNKNOWN_ROLE',
  );
  expect(err.status).toBe(400);
  expect(err.details).toEqual({ roles: ['ghost-a', 'ghost-b'] });
  await expectRejectCode(t.adminClient.getUser('ghost'), 'USER_NOT_FOUND');
});

it('refuses a token with a line break without ever quoting it', () => {
  const secret = 'abt_secretpart';
  let caught: unknown;
  try {
    new HttpAccessClient({ baseUrl: t.api.url, token: `${secret}\nsecond line` });
  } catch (err) {
    caught = err;
  }
  expect(caught).toMatchObject({ code: 'INVALID_TOKEN' });
  expect(String((caught as Error).message)).not.toContain(secret);
});
