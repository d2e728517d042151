// Failed authentication is throttled per source: after the window's budget of failures, every
// call from that address is 429 TOO_MANY_FAILED_AUTH with Retry-After (before any token lookup),
// the metric counts refused and throttled calls, and the log gets one warning per window
// instead of a line per call.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AUTH_FAILURES_PER_WINDOW } from '../../src/api/auth-throttle.js';
import { type RunningApi, startApiServer } from '../../src/api/server.js';
import { apiConfigSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';

let dir: string;
let api: RunningApi;
const logLines: { level: number; msg: string }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'accessbot-throttle-'));
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  api = await startApiServer({
    config: apiConfigSchema.parse({
      listen: '127.0.0.1:0',
      store: { path: join(dir, 'a.db') },
      data_dir: dir,
    }),
    log: createLogger({ level: 'info', destination }),
  });
});
afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

const whoami = (token: string) =>
  fetch(`${api.url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });

it('throttles a source after its failures, counts them, and logs once', async () => {
  const adminToken = readFileSync(api.adminTokenFile, 'utf8').trim();
  expect((await whoami(adminToken)).status).toBe(200);

  for (let i = 0; i < AUTH_FAILURES_PER_WINDOW; i++) {
    const res = await whoami(`abt_guess${i}`);
    expect(res.status).toBe(401);
  }
  for (let i = 0; i < 50; i++) {
    const res = await whoami(`abt_more${i}`);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe('TOO_MANY_FAILED_AUTH');
  }
  // The whole source waits out the window, a valid token included (it is not even looked up).
  expect((await whoami(adminToken)).status).toBe(429);
  // Calls that need no token are not affected.
  expect((await fetch(`${api.url}/healthz`)).status).toBe(200);

  const metrics = await (await fetch(`${api.url}/metrics`)).text();
  expect(metrics).toContain(
    `accessbot_api_auth_failures_total{outcome="refused"} ${AUTH_FAILURES_PER_WINDOW}`,
  );
  expect(metrics).toContain('accessbot_api_auth_failures_total{outcome="throttled"} 51');

  const warnings = logLines.filter((l) => l.msg.includes('throttled'));
  expect(warnings).toHaveLength(1);
  expect(logLines.length).toBeLessThan(10);
});
