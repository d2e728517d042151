// Nothing is missed while no host runs: on start the host resumes the API's event stream
// from the cursor it kept in Redis (posts, updates, requests resolved while it was down), and
// when the cursor itself is gone it still finds every PENDING request by reconciling.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HttpAccessClient } from '../../src/api/client.js';
import { ensureServiceToken } from '../../src/api/server.js';
import { type Config, configSchema } from '../../src/config/schema.js';
import { type RunningHost, startHost } from '../../src/host/index.js';
import { createLogger } from '../../src/log.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { testRedisOptions, waitFor } from '../support/stack.js';
import { HOST_ROLES, HOST_USERS } from './fixtures.js';

const SECRET = 'resume-test-secret-0123456789';
let api: TestApi;
let receiver: Receiver;
let config: Config;
let hostClient: HttpAccessClient;
let host: RunningHost | undefined;

const start = () =>
  startHost({
    config,
    client: hostClient,
    log: createLogger({ level: 'silent' }),
    redis: testRedisOptions(),
  });
const posts = (id: string) =>
  receiver.deliveries().filter((d) => d.requestId === id && d.event === 'request.posted');

beforeAll(async () => {
  api = await startTestApi({ rolesYaml: HOST_ROLES, users: HOST_USERS });
  receiver = await startReceiver({ secret: SECRET });
  hostClient = new HttpAccessClient({
    baseUrl: api.api.url,
    token: await ensureServiceToken(api.api.store, 'accessbot-host', ['accessbot-plugin']),
  });
  config = configSchema.parse({
    host: {
      listen: '127.0.0.1:0',
      redis: { prefix: `resume${Date.now()}` },
      routing: [{ roles: ['*'], targets: { webhook: [receiver.urlFor('ops')] } }],
    },
    plugins: { webhook: { secret: SECRET } },
  });
});

afterAll(async () => {
  await host?.close();
  await receiver?.stop();
  await api?.stop();
});

it('catches up on everything that happened while it was down', async () => {
  const alice = await api.clientFor('alice');
  const bob = await api.clientFor('bob');
  host = await start();
  const first = await alice.createRequest({ roles: ['dba'], reason: 'before the outage' });
  await waitFor(() => posts(first.id).length === 1, 20_000, 'first post');
  await host.close();
  host = undefined;

  // While down: a new request, a review that resolves the first one, and a request that is
  // created and resolved before any host sees it.
  const second = await alice.createRequest({ roles: ['dba'], reason: 'during the outage' });
  await bob.submitReview(first.id, { proposedState: 'APPROVED', reason: 'ok' });
  const third = await alice.createRequest({ roles: ['dev-web'], reason: 'short-lived' });
  await bob.submitReview(third.id, { proposedState: 'DENIED', reason: 'no' });

  host = await start();
  await waitFor(() => posts(second.id).length === 1, 20_000, 'post of the request created while down');
  await waitFor(() => receiver.latest(first.id, '/ops')?.state === 'APPROVED', 20_000, 'update of the first');
  const thirdCard = await waitFor(() => receiver.latest(third.id, '/ops'), 20_000, 'the resolved request');
  expect(thirdCard.state).toBe('DENIED');
  await new Promise((r) => setTimeout(r, 1000));
  expect(posts(first.id)).toHaveLength(1);
  expect(posts(second.id)).toHaveLength(1);
  expect(posts(third.id)).toHaveLength(1);
});

it('reconciles PENDING requests when the cursor is lost', async () => {
  await host?.close();
  host = undefined;
  const alice = await api.clientFor('alice');
  const pending = await alice.createRequest({ roles: ['dba'], reason: 'cursor lost' });
  const redis = new Redis(testRedisOptions());
  try {
    expect(await redis.del(`${config.host.redis.prefix}:watch:cursor`)).toBe(1);
  } finally {
    redis.disconnect();
  }
  host = await start();
  await waitFor(() => posts(pending.id).length === 1, 20_000, 'post found by reconciling');
});
