// Forged hooks at the host's inbound server: past a budget of failed signature checks per
// source and window, a source's failing calls are answered 429 (our error shape, a stable code,
// Retry-After) instead of 401; every refusal is counted in /metrics; the log gets one line when
// a window's first refusal comes and one sum at its end, not a line per call. A correctly
// signed call from a throttled source is still served (behind a shared proxy the platform and
// a forger share an address: a forger must not lock the platform out). Real API, host, Redis,
// webhook plugin; sources are distinct loopback addresses.

import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestStack } from '../support/stack.js';
import { startWebhookWorld, type WebhookWorld } from './webhook-world.js';

const SECRET = 'throttle-test-secret-0123456789';
/** The host's default budget of failed checks per source and window. */
const BUDGET = 20;
const WINDOW_MS = 4000;

let world: WebhookWorld;
let stack: TestStack;
const lines: Record<string, unknown>[] = [];
const sources = new Map<string, Agent>();

beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  world = await startWebhookWorld(SECRET, (receiver) => ({
    routing: [{ roles: ['*'], targets: { webhook: [receiver.urlFor('ops')] } }],
    logLevel: 'info',
    logDestination: destination,
    tuning: { inboundFailureWindowMs: WINDOW_MS },
  }));
  stack = world.stack;
}, 60_000);

afterAll(async () => {
  await world?.stop();
  for (const agent of sources.values()) await agent.close();
});

/** An HTTP client whose calls come from this loopback address. */
function from(address: string): Agent {
  let agent = sources.get(address);
  if (!agent) {
    agent = new Agent({ localAddress: address });
    sources.set(address, agent);
  }
  return agent;
}

interface Answer {
  status: number;
  retryAfter: string | null;
  json: { error?: { code: string; message: string }; outcome?: string };
}

async function decision(address: string, body: unknown, secret: string): Promise<Answer> {
  const raw = JSON.stringify(body);
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await undiciFetch(stack.hookUrl('webhook'), {
    method: 'POST',
    dispatcher: from(address),
    headers: {
      'content-type': 'application/json',
      'x-accessbot-timestamp': ts,
      'x-accessbot-signature': `v1=${createHmac('sha256', secret).update(`${ts}.${raw}`).digest('hex')}`,
    },
    body: raw,
    signal: AbortSignal.timeout(10_000),
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    json: (await res.json()) as Answer['json'],
  };
}

const refusalLines = () =>
  lines.filter((l) => l.component === 'host' && /failed authentication/.test(String(l.msg)));

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${stack.host.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

it('throttles forged hooks per source with 429, counts them, and logs once per window', {
  timeout: 60_000,
}, async () => {
  const req = await (await stack.clientFor('alice')).createRequest({ roles: ['dba'], reason: 'target' });
  const forged = { request_id: req.id, action: 'approve', person: { email: 'bob@example.com' } };

  const answers: Answer[] = [];
  for (let i = 0; i < BUDGET + 10; i++) answers.push(await decision('127.0.0.1', forged, 'guessed-secret'));
  for (const a of answers.slice(0, BUDGET)) {
    expect(a.status).toBe(401);
    expect(a.json.error?.code).toBe('INVALID_SIGNATURE');
  }
  for (const a of answers.slice(BUDGET)) {
    expect(a.status).toBe(429);
    expect(a.json.error?.code).toBe('TOO_MANY_FAILED_AUTH');
    expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(a.retryAfter)).toBeLessThanOrEqual(Math.ceil(WINDOW_MS / 1000));
  }

  // Another source has its own budget.
  const other = await decision('127.0.0.2', forged, 'guessed-secret');
  expect(other.status).toBe(401);

  // A correctly signed call from the throttled source is served.
  const genuine = await decision('127.0.0.1', forged, SECRET);
  expect(genuine.status).toBe(200);
  expect(genuine.json.outcome).toBe('done');

  expect(await metric('accessbot_inbound_refused_total{plugin="webhook",reason="INVALID_SIGNATURE"}')).toBe(
    BUDGET + 11,
  );
  expect(await metric('accessbot_inbound_throttled_total{plugin="webhook"}')).toBe(10);

  // 31 refused calls, one line so far; the window's end adds one sum of the rest.
  expect(refusalLines()).toHaveLength(1);
  await sleep(WINDOW_MS + 1500);
  expect(refusalLines()).toHaveLength(2);
  expect(refusalLines()[1]).toMatchObject({ level: 40, refused: BUDGET + 11, throttled: 10, sources: 2 });

  // A new window: the budget is back.
  expect((await decision('127.0.0.1', forged, 'guessed-secret')).status).toBe(401);
  expect(refusalLines()).toHaveLength(3);
  // Nothing else warned: the plugin itself writes no line per forged call.
  expect(lines.filter((l) => Number(l.level) >= 40)).toEqual(refusalLines());
});
