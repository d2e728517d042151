// The host while its Redis is gone or frozen: /readyz and /metrics answer within a second and
// say why, a signed Slack submission that needs Redis is refused at once (503) instead of
// waiting for Redis and being acted on minutes after it was signed, and a signed call is
// never acted on once its replay window has passed. Real API, host, slack plugin with the real
// Web API client against the fake Slack, and a private redis-server the test kills and freezes.

import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import slackPlugin from '../../plugins/slack/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import {
  clickPayload,
  postInteraction,
  type SignedInteraction,
  signInteraction,
  submitPayload,
} from '../fakes/slack/interactions.js';
import { FakeSlack, type FakeSlackMessage, type OpenedView } from '../fakes/slack/server.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { dbaAndProdRolesYaml, usersWithEmail } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const SECRET = 'outage-signing-secret';
/** What "answers within a second" allows. */
const ANSWER_MS = 1000;
/** The slack plugin's default replay window. */
const WINDOW_SECONDS = 300;

let redis: TestRedis;
let fake: FakeSlack;
let stack: TestStack;
let ops: string;

beforeAll(async () => {
  redis = await startTestRedis({ appendOnly: true });
  fake = await new FakeSlack().start();
  ops = fake.addChannel('ops');
  for (const [id, name] of [
    ['UBOB', 'bob'],
    ['UALICE', 'alice'],
  ] as const) {
    fake.addUser({ id, name, email: `${name}@example.com` });
  }
  stack = await startTestStack({
    rolesYaml: dbaAndProdRolesYaml(),
    users: usersWithEmail({ bob: ['requester'], alice: ['approver'] }),
    definitions: new Map([['slack', slackPlugin as unknown as PluginDefinition]]),
    plugins: { slack: { token: fake.botToken, signing_secret: SECRET, api_url: fake.apiUrl } },
    routing: [{ roles: ['*'], targets: { slack: ['#ops'] } }],
    redis: redis.options,
  });
}, 60_000);

afterAll(async () => {
  try {
    process.kill(redis.pid(), 'SIGCONT');
  } catch {
    /* not frozen, or gone */
  }
  await stack?.stop();
  await fake?.stop();
  await redis?.stop();
}, 60_000);

interface Timed {
  status: number;
  body: string;
  ms: number;
}

/** One HTTP call that gives up after 5 s (a hang shows as a failure, not a stuck test). */
async function timed(url: string, init: RequestInit = {}): Promise<Timed> {
  const started = performance.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - started };
}

const submit = (signed: SignedInteraction) =>
  timed(stack.hookUrl('slack', '/interactions'), {
    method: 'POST',
    headers: { ...signed.headers, 'user-agent': 'Slackbot 1.0' },
    body: signed.body,
  });

/** A pending request, its message in #ops, and alice's review dialog opened from it. */
async function openedReview(reason: string): Promise<{ id: string; opened: OpenedView }> {
  const req = await (await stack.clientFor('bob')).createRequest({ roles: ['dba'], reason });
  const message = await stack.waitFor(
    () => fake.rootMessages(ops).find((m: FakeSlackMessage) => JSON.stringify(m.blocks).includes(req.id)),
    30_000,
    'the request message',
  );
  const viewsBefore = fake.views.length;
  const click = await postInteraction(
    stack.hookUrl('slack', '/interactions'),
    signInteraction(SECRET, clickPayload(fake, message, 'UALICE', 'accessbot_approve')),
  );
  expect(click.status).toBe(200);
  const opened = await stack.waitFor(
    () => fake.views.slice(viewsBefore).find((v) => v.user === 'UALICE'),
    15_000,
    'the review dialog',
  );
  return { id: req.id, opened };
}

const reviewsOf = async (id: string) => (await stack.adminClient.getRequest(id)).reviews;

async function expectAnswersWhileRedisIsOut(
  what: string,
  signed: SignedInteraction,
  how: RegExp,
): Promise<void> {
  const ready = await timed(`${stack.host.url}/readyz`);
  expect(ready.ms).toBeLessThan(ANSWER_MS);
  expect(ready.status).toBe(503);
  const readiness = JSON.parse(ready.body) as { ready: boolean; checks: Record<string, string> };
  expect(readiness.ready).toBe(false);
  expect(readiness.checks.redis).toMatch(how);

  const metrics = await timed(`${stack.host.url}/metrics`);
  expect(metrics.ms).toBeLessThan(ANSWER_MS);
  expect(metrics.status).toBe(200);
  expect(metrics.body).toMatch(/^accessbot_redis_up 0$/m);
  // Counters kept in the process are still there.
  expect(metrics.body).toContain('accessbot_decisions_total');

  const refused = await submit(signed);
  expect(refused.ms).toBeLessThan(ANSWER_MS + 500);
  expect(refused.status).toBe(503);
  expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'REDIS_UNAVAILABLE' } });
  console.log(
    `${what}: /readyz ${Math.round(ready.ms)} ms, /metrics ${Math.round(metrics.ms)} ms, signed submission ${Math.round(refused.ms)} ms`,
  );
}

async function readyAgain(): Promise<void> {
  await stack.waitFor(
    async () => (await timed(`${stack.host.url}/readyz`)).status === 200,
    30_000,
    'ready once Redis is back',
  );
}

describe('Redis outages at the inbound server', () => {
  it('Redis stopped: readiness, metrics and a signed submission answer at once; nothing is acted on late', {
    timeout: 90_000,
  }, async () => {
    const { id, opened } = await openedReview('redis goes away');
    const signed = signInteraction(SECRET, submitPayload(fake, opened, 'approved during the outage'));
    const back = redis.restart({ downMs: 4000 });
    await stack.waitFor(() => !existsSync(redis.socket), 10_000, 'Redis gone');
    await expectAnswersWhileRedisIsOut('redis stopped', signed, /down|unavailable/i);
    await back;
    await readyAgain();
    expect((await timed(`${stack.host.url}/metrics`)).body).toMatch(/^accessbot_redis_up 1$/m);
    // The refused submission is not acted on when Redis returns.
    await sleep(1500);
    expect(await reviewsOf(id)).toEqual([]);
    // The person submits again (a freshly signed call): recorded once.
    const again = await submit(signInteraction(SECRET, submitPayload(fake, opened, 'approved after')));
    expect(again.status).toBe(200);
    await stack.waitFor(async () => (await reviewsOf(id)).length === 1, 20_000, 'the review');
    expect(await reviewsOf(id)).toMatchObject([{ author: 'alice', reason: 'approved after' }]);
  });

  it('Redis frozen (accepts connections, answers nothing): the same answers within a second', {
    timeout: 90_000,
  }, async () => {
    await readyAgain();
    const { id, opened } = await openedReview('redis freezes');
    const signed = signInteraction(SECRET, submitPayload(fake, opened, 'approved while frozen'));
    process.kill(redis.pid(), 'SIGSTOP');
    try {
      await expectAnswersWhileRedisIsOut('redis frozen', signed, /down|unavailable|timed out|not answer/i);
    } finally {
      process.kill(redis.pid(), 'SIGCONT');
    }
    await readyAgain();
    await sleep(1500);
    expect(await reviewsOf(id)).toEqual([]);
  });
});

describe('the replay window at the moment of acting', () => {
  it('a signed submission is not acted on once its window has passed, however long the steps before took', {
    timeout: 90_000,
  }, async () => {
    await readyAgain();
    const { id, opened } = await openedReview('slow platform');
    // Signed 296 s ago: inside the 300 s window when it arrives. Slack then answers slowly
    // (users.info, looking up the clicker), so the review would be submitted after the window.
    const signedAt = Math.floor(Date.now() / 1000) - (WINDOW_SECONDS - 4);
    const signed = signInteraction(SECRET, submitPayload(fake, opened, 'late approval'), {
      timestampSeconds: signedAt,
    });
    const answered = fake.ephemerals.filter((e) => e.user === 'UALICE').length;
    fake.latencyMs = 5000;
    try {
      const res = await submit(signed);
      expect(res.status).toBe(200);
      const told = await stack.waitFor(
        () => fake.ephemerals.filter((e) => e.user === 'UALICE')[answered],
        30_000,
        'the answer to alice',
      );
      expect(told.text).toMatch(/too late|replay window|again/i);
    } finally {
      fake.latencyMs = 0;
    }
    expect(Date.now() / 1000).toBeGreaterThan(signedAt + WINDOW_SECONDS);
    expect(await reviewsOf(id)).toEqual([]);
  });
});
