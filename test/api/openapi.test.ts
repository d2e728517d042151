// The OpenAPI document is served without auth, generated from the same zod schemas that
// validate the bodies, and lists every route the server answers.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => {
  await t?.stop();
});

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
        security?: unknown[];
      }
    >
  >;
};

it('serves an OpenAPI 3.1 document listing the routes and their body schemas', async () => {
  const res = await fetch(`${t.api.url}/v1/openapi.json`);
  expect(res.status).toBe(200);
  const doc = (await res.json()) as Doc;
  expect(doc.openapi).toBe('3.1.0');
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
  );
  expect(ops).toEqual(
    expect.arrayContaining([
      'GET /v1/whoami',
      'POST /v1/requests',
      'GET /v1/requests',
      'GET /v1/requests/{id}',
      'POST /v1/requests/{id}/reviews',
      'POST /v1/requests/{id}/resolve',
      'DELETE /v1/requests/{id}',
      'GET /v1/users',
      'POST /v1/users',
      'GET /v1/users/lookup',
      'GET /v1/users/{name}',
      'DELETE /v1/users/{name}',
      'POST /v1/users/{name}/tokens',
      'GET /v1/roles',
      'POST /v1/roles',
      'DELETE /v1/roles/{name}',
      'GET /v1/events/latest',
      'GET /v1/watch',
      'GET /healthz',
      'GET /readyz',
    ]),
  );
  const create = doc.paths['/v1/requests']?.post?.requestBody?.content['application/json']?.schema;
  expect(Object.keys(create?.properties ?? {})).toEqual(
    expect.arrayContaining(['roles', 'resources', 'reason', 'suggestedReviewers', 'requestTtl']),
  );
  expect(doc.paths['/v1/roles']?.post?.requestBody?.content).toHaveProperty('application/yaml');
  expect(doc.paths['/healthz']?.get?.security).toEqual([]);
});

it('every documented operation is served (none answers NOT_FOUND)', async () => {
  const doc = (await (await fetch(`${t.api.url}/v1/openapi.json`)).json()) as Doc;
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (path === '/v1/watch') continue;
    const concrete = path.replace('{id}', '00000000-0000-4000-8000-000000000000').replace('{name}', 'nobody');
    for (const method of Object.keys(methods)) {
      const res = await fetch(t.api.url + concrete, { method: method.toUpperCase() });
      const body = (await res.json()) as { error?: { code: string } };
      expect(body.error?.code, `${method} ${path}`).not.toBe('NOT_FOUND');
    }
  }
});

it('health endpoints answer without a token', async () => {
  expect((await fetch(`${t.api.url}/healthz`)).status).toBe(200);
  expect((await fetch(`${t.api.url}/readyz`)).status).toBe(200);
});

it('HEAD on every path answers at once: like GET where there is one (the watch too), else 405 with Allow', async () => {
  const doc = (await (await fetch(`${t.api.url}/v1/openapi.json`)).json()) as Doc;
  const token = readFileSync(t.api.adminTokenFile, 'utf8').trim();
  for (const [path, methods] of Object.entries(doc.paths)) {
    const concrete = path.replace('{id}', '00000000-0000-4000-8000-000000000000').replace('{name}', 'admin');
    // A HEAD that hangs (as the watch's did, streaming forever) fails here with a timeout.
    const res = await fetch(t.api.url + concrete, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5_000),
    });
    expect(await res.text(), path).toBe('');
    if (path === '/v1/watch') {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    } else if ('get' in methods) {
      const get = await fetch(t.api.url + concrete, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, path).toBe(get.status);
      expect(res.headers.get('content-type'), path).toBe(get.headers.get('content-type'));
    } else {
      expect(res.status, path).toBe(405);
      const allowed = Object.keys(methods).map((m) => m.toUpperCase());
      expect(res.headers.get('allow')?.split(', ').sort(), path).toEqual(allowed.sort());
    }
  }
});

it('a method a path does not have is 405 METHOD_NOT_ALLOWED with Allow, in the one error shape', async () => {
  const res = await fetch(`${t.api.url}/v1/whoami`, { method: 'POST' });
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe('GET, HEAD');
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
  const missing = await fetch(`${t.api.url}/v1/nothing-here`);
  expect(missing.status).toBe(404);
});
