// The checked fetch step against a real HTTP server answering as Mattermost does: what the
// host's retries need (status, Retry-After / X-Ratelimit-Reset, a timeout) survives, where bare
// Client4 loses it.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import mm from '@mattermost/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginError } from '../../src/plugin-sdk/index.js';
import { MattermostClient, mattermostCall } from './client.js';

let answer: (req: IncomingMessage, res: ServerResponse) => void = () => {};
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => answer(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const failure = async (timeoutMs = 5000): Promise<PluginError> => {
  const client = new MattermostClient(url, 'token', timeoutMs);
  const err = await mattermostCall('getMe', () => client.getMe()).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PluginError);
  return err as PluginError;
};

const limited = (headers: Record<string, string>) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(429, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end('limit exceeded\n');
};

const jsonError = (status: number, id: string) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({ id, message: 'refused', detailed_error: '', request_id: 'r', status_code: status }),
  );
};

describe('MattermostClient', () => {
  it('bare Client4 hides the 429 (why the fetch step is replaced)', async () => {
    answer = limited({ 'retry-after': '3', 'x-ratelimit-reset': '3' });
    const bare = new mm.Client4();
    bare.setUrl(url);
    const err = (await bare.getMe().catch((e: unknown) => e)) as { status_code?: unknown; message?: unknown };
    expect(err.status_code).toBeUndefined();
    expect(err.message).toBe('');
  });

  it('a 429 as text/plain → rate_limited with Retry-After', async () => {
    answer = limited({ 'retry-after': '3', 'x-ratelimit-reset': '7' });
    expect(await failure()).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3000 });
  });

  it('a 429 with only X-Ratelimit-Reset → rate_limited with that wait', async () => {
    answer = limited({ 'x-ratelimit-reset': '2' });
    expect(await failure()).toMatchObject({ kind: 'rate_limited', retryAfterMs: 2000 });
  });

  it('401 → auth; 403 and 404 → permanent (one channel, not the plugin); 5xx → transient', async () => {
    answer = jsonError(401, 'api.context.session_expired.app_error');
    const auth = await failure();
    expect(auth.kind).toBe('auth');
    expect(auth.message).toContain('api.context.session_expired.app_error');
    answer = jsonError(403, 'api.context.permissions.app_error');
    expect((await failure()).kind).toBe('permanent');
    answer = jsonError(404, 'app.channel.get.existing.app_error');
    expect((await failure()).kind).toBe('permanent');
    answer = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    };
    expect((await failure()).kind).toBe('transient');
  });

  it('a server that does not answer in time → transient, after the timeout', async () => {
    answer = () => {}; // never answers
    const started = Date.now();
    const err = await failure(300);
    expect(err.kind).toBe('transient');
    expect(err.message).toContain('did not answer in time');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('sends the bot token and parses JSON answers', async () => {
    answer = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'me', auth: req.headers.authorization }));
    };
    const client = new MattermostClient(`${url}/`, 'the-token', 5000);
    expect(await client.getMe()).toMatchObject({ id: 'me', auth: 'BEARER the-token' });
  });
});
