// A plugin's periodic poll (PluginInstance.poll) as the host runs it: at its interval, once per
// interval across two hosts sharing one Redis, surviving a failed run, and a decision it hands
// to ctx.decide becomes a review by the mapped person, as an inbound call's would.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { configurePlugins } from '../../src/config/plugin-blocks.js';
import { type RunningHost, startHost } from '../../src/host/index.js';
import { createLogger } from '../../src/log.js';
import { definePlugin, type InboundDecision, type PluginDefinition, z } from '../../src/plugin-sdk/index.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { HOST_ROLES, HOST_USERS } from './fixtures.js';

const INTERVAL_MS = 200;
const runs: { host: number; at: number }[] = [];
const waiting: InboundDecision[] = [];
const outcomes: string[] = [];
let failNextRun = false;
let hostsStarted = 0;

const poller = definePlugin({
  id: 'poller',
  description: 'reads decisions from a queue on a timer',
  configSchema: z.object({}).strict(),
  create(ctx) {
    const host = ++hostsStarted;
    return {
      async healthCheck() {},
      async resolveRecipient(raw, audience) {
        return { id: raw, kind: 'channel', audience };
      },
      defaultRecipients: () => ['#ops'],
      async deliver() {
        return { ts: '1' };
      },
      async update() {
        return undefined;
      },
      poll: () => ({
        intervalMs: INTERVAL_MS,
        async run() {
          runs.push({ host, at: Date.now() });
          if (failNextRun) {
            failNextRun = false;
            throw new Error('the platform is down');
          }
          for (const decision of waiting.splice(0)) outcomes.push((await ctx.decide(decision)).kind);
        },
      }),
    };
  },
});

let stack: TestStack;
let second: RunningHost;

beforeAll(async () => {
  const definitions = new Map([['poller', poller as unknown as PluginDefinition]]);
  stack = await startTestStack({
    rolesYaml: HOST_ROLES,
    users: HOST_USERS,
    definitions,
    plugins: { poller: {} },
  });
  // A second replica on the same Redis and prefix.
  second = await startHost({
    config: { ...stack.config, host: { ...stack.config.host, listen: '127.0.0.1:0' } },
    client: stack.hostClient,
    log: createLogger({ level: 'silent' }),
    redis: stack.redisOptions,
    plugins: await configurePlugins({ poller: {} }, definitions),
  });
});

afterAll(async () => {
  await second?.close();
  await stack?.stop();
});

it('runs once per interval across two hosts, and again after a failed run', async () => {
  expect(hostsStarted).toBe(2);
  const from = Date.now();
  failNextRun = true;
  await new Promise((r) => setTimeout(r, 2000));
  const seen = runs.filter((r) => r.at >= from);
  // Two hosts each ticking every 200 ms would run ~20 times in 2 s; the lease allows ~10.
  expect(seen.length).toBeGreaterThanOrEqual(6);
  expect(seen.length).toBeLessThanOrEqual(12);
  expect(failNextRun).toBe(false);
  expect(seen.at(-1)!.at).toBeGreaterThan(from + 1500);
});

it("hands a poll's decision to the API as a review by the mapped person", async () => {
  const alice = await stack.clientFor('alice');
  const req = await alice.createRequest({ roles: ['dba'], reason: 'polled' });
  waiting.push({
    requestId: req.id,
    action: 'approve',
    person: { email: 'bob@example.com' },
    reason: 'seen in the queue',
  });
  await stack.waitFor(() => outcomes.length === 1, 5000, 'the poll to hand the decision over');
  expect(outcomes).toEqual(['done']);
  const after = await stack.adminClient.getRequest(req.id);
  expect(after.state).toBe('APPROVED');
  expect(after.reviews.map((r) => [r.author, r.reason])).toEqual([['bob', 'seen in the queue']]);
});

it('stops polling when the host closes', async () => {
  await second.close();
  await stack.host.close();
  const count = runs.length;
  await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS));
  expect(runs.length).toBe(count);
});
