// Every per-request key the host keeps in Redis (the latest version seen, where the messages
// are, which reminders were sent) expires `host.redis.request_retention` after its last write,
// and so do the plugins' per-request memos (Slack's `posted:` memo here); the setting is
// checked: a retention a pending request could outlive is refused. Real API, host, Redis,
// webhook receiver and the fake Slack Web API.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import slackPlugin from '../../plugins/slack/index.js';
import { configSchema } from '../../src/config/schema.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { FakeSlack } from '../fakes/slack/server.js';
import type { Receiver } from '../support/receiver.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { HOST_ROLES, HOST_USERS } from './fixtures.js';
import { startWebhookWorld, type WebhookWorld } from './webhook-world.js';

const SECRET = 'retention-secret-0123456789';
const RETENTION_SECONDS = 9 * 24 * 3600;
let world: WebhookWorld;
let receiver: Receiver;
let stack: TestStack;
let redis: Redis;

beforeAll(async () => {
  world = await startWebhookWorld(SECRET, (r) => ({
    routing: [{ roles: ['*'], targets: { webhook: [r.urlFor('a'), r.urlFor('b')] } }],
    reminders: { after: '800ms', every: '1h', max: 1 },
    requestRetention: '9d',
  }));
  ({ receiver, stack } = world);
  redis = new Redis(stack.redisOptions);
});

afterAll(async () => {
  redis?.disconnect();
  await world?.stop();
});

/** Every key matching `pattern`: a whole SCAN walk, since one call may return none of them. */
async function scanAll(pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

const keysOf = (requestId: string, prefix = stack.prefix) => scanAll(`${prefix}:*${requestId}*`);

it('gives every per-request key the configured retention', { timeout: 60_000 }, async () => {
  const alice = await stack.clientFor('alice');
  const waiting = await alice.createRequest({ roles: ['dba'], reason: 'waits for a reminder' });
  const decided = await alice.createRequest({ roles: ['dba'], reason: 'approved at once' });
  const events = (id: string, event: string) =>
    receiver.deliveries().filter((d) => d.requestId === id && d.event === event);
  await stack.waitFor(() => events(decided.id, 'request.posted').length === 2, 20_000, 'posts');
  await stack.adminClient.resolveRequest(decided.id, { state: 'APPROVED', reason: 'ok' });
  await stack.waitFor(() => events(waiting.id, 'request.reminder').length === 2, 20_000, 'reminders');
  await stack.waitFor(
    () => receiver.latest(decided.id, '/a')?.state === 'APPROVED' && receiver.latest(decided.id, '/b'),
    20_000,
    'the approved card',
  );

  const kinds = new Set<string>();
  for (const id of [waiting.id, decided.id]) {
    // BullMQ's own job keys are not the host's bookkeeping: finished jobs go after a day.
    const keys = (await keysOf(id)).filter((k) => !k.startsWith(`${stack.prefix}:bull:`));
    for (const key of keys) {
      const kind = key.slice(stack.prefix.length + 1).split(':')[0]!;
      const ttl = await redis.ttl(key);
      if (key.includes(':lock:')) {
        // A target lock lives seconds, whatever the retention.
        expect(ttl, key).toBeLessThanOrEqual(10);
        continue;
      }
      kinds.add(kind);
      expect(ttl, key).toBeGreaterThan(RETENTION_SECONDS - 120);
      expect(ttl, key).toBeLessThanOrEqual(RETENTION_SECONDS);
    }
  }
  // Each kind of per-request key was there to be checked.
  expect([...kinds].sort()).toEqual(['refs', 'sends', 'ver']);
});

it('gives a plugin’s per-request memo the same retention (Slack’s posted message)', {
  timeout: 60_000,
}, async () => {
  const fake = await new FakeSlack().start();
  let slack: TestStack | undefined;
  try {
    const ops = fake.addChannel('ops');
    slack = await startTestStack({
      rolesYaml: HOST_ROLES,
      users: HOST_USERS,
      definitions: new Map([['slack', slackPlugin as unknown as PluginDefinition]]),
      plugins: { slack: { token: fake.botToken, signing_secret: 'retention-slack', api_url: fake.apiUrl } },
      routing: [{ roles: ['*'], targets: { slack: [ops] } }],
      requestRetention: '9d',
    });
    const request = await (await slack.clientFor('alice')).createRequest({
      roles: ['dba'],
      reason: 'slack memo',
    });
    await slack.waitFor(
      () => fake.rootMessages(ops).some((m) => JSON.stringify(m.blocks).includes(request.id)),
      30_000,
      'the Slack message',
    );
    // The memo is keyed by the delivery id: find it by the plugin's prefix.
    const memos = await slack.waitFor(
      async () => {
        const keys = await scanAll(`${slack!.prefix}:plugin:slack:posted:*`);
        return keys.length > 0 ? keys : undefined;
      },
      10_000,
      'the posted memo',
    );
    for (const key of memos) {
      const ttl = await redis.ttl(key);
      expect(ttl, key).toBeGreaterThan(RETENTION_SECONDS - 120);
      expect(ttl, key).toBeLessThanOrEqual(RETENTION_SECONDS);
    }
    expect((await keysOf(request.id, slack.prefix)).some((k) => k.includes(':refs:slack:'))).toBe(true);
  } finally {
    await slack?.stop();
    await fake.stop();
  }
});

describe('host.redis.request_retention', () => {
  const parse = (redis: Record<string, unknown>, api: Record<string, unknown> = {}) =>
    configSchema.safeParse({ api, host: { redis } });

  it('is 30 days unless set', () => {
    const parsed = parse({});
    expect(parsed.success && parsed.data.host.redis.request_retention).toBe(30 * 24 * 3600 * 1000);
  });

  it('refuses a retention shorter than a request may stay pending, naming both settings', () => {
    const short = parse({ request_retention: '2d' });
    expect(short.success).toBe(false);
    const issue = short.error?.issues[0];
    expect(issue?.path).toEqual(['host', 'redis', 'request_retention']);
    expect(issue?.message).toMatch(/shorter than api\.max_request_ttl \(168h\)/);
    // Fine once requests cannot stay pending that long.
    expect(parse({ request_retention: '2d' }, { max_request_ttl: '1d' }).success).toBe(true);
  });

  it('refuses less than an hour and anything that is not a duration', () => {
    expect(parse({ request_retention: '30m' }, { max_request_ttl: '10m' }).success).toBe(false);
    expect(parse({ request_retention: 'forever' }).success).toBe(false);
  });
});
