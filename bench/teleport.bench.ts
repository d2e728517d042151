// The Teleport source beside our API, in the same run: how long from a request's creation to
// its webhook deliveries (one per receiver path, signed, accepted by the receiver), with the
// host following a Teleport cluster (the fake auth service over mTLS, test/fakes/teleport) or
// our access API. Same host, same webhook plugin, same receiver, same private Redis; requests
// one at a time, so the figures are the path's latency, not a queue's.

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PluginDefinition } from '../src/plugin-sdk/index.js';
import { startWorld, type WorldKind } from '../test/conformance/access-world.js';
import { webhookAdapter } from '../test/conformance/webhook-adapter.js';
import { PEOPLE, platformUsers, QUICK_ROLE } from '../test/conformance/world.js';
import { startTestRedis } from '../test/support/redis.js';
import { percentile } from './stats.js';
import type { BenchSection } from './types.js';

const N = Number(process.env.BENCH_TELEPORT_N ?? 200);
const WARMUP = 10;

async function latencies(kind: WorldKind): Promise<number[]> {
  const fake = await webhookAdapter.startFake(platformUsers());
  const world = await startWorld(kind, {
    fake,
    pluginId: 'webhook',
    definition: webhookAdapter.definition as PluginDefinition,
    routing: [{ roles: ['*'], targets: { webhook: fake.reviewerRecipients } }],
    delivery: {},
  });
  const targets = fake.reviewerRecipients.length;
  const out: number[] = [];
  try {
    for (let i = -WARMUP; i < N; i++) {
      const started = performance.now();
      const { id } = await world.createRequest(PEOPLE.requester, QUICK_ROLE, `bench ${kind} ${i}`);
      const deadline = Date.now() + 30_000;
      while ((await fake.messages(id)).length < targets) {
        if (Date.now() > deadline) throw new Error(`bench: ${kind}: request ${i} not delivered in 30 s`);
        await sleep(1);
      }
      if (i >= 0) out.push(performance.now() - started);
    }
  } finally {
    await world.stop();
    await fake.stop();
  }
  return out;
}

export default async function run(): Promise<BenchSection> {
  const redis = await startTestRedis();
  const before = process.env.ACCESSBOT_TEST_REDIS_SOCKET;
  process.env.ACCESSBOT_TEST_REDIS_SOCKET = redis.options.path;
  try {
    const api = await latencies('api');
    const teleport = await latencies('teleport');
    const row = (name: string, p: number) => ({
      name: `${name} p${p}`,
      value: percentile(teleport, p),
      unit: 'ms',
      baseline: { name: `our API p${p}`, value: percentile(api, p), unit: 'ms' },
    });
    return {
      title: `Teleport source: event → delivered (${N} requests one at a time, 2 webhook paths each)`,
      rows: [row('Teleport source', 50), row('Teleport source', 99)],
      notes: [
        'From the create call (our API: POST /v1/requests; Teleport: the fake auth service stores the request and sends the PUT event) to both webhook deliveries accepted by the receiver.',
        'Teleport: gRPC WatchEvents over mTLS to the fake auth service on 127.0.0.1; our API: the SSE watch of the real API on 127.0.0.1. The host, the webhook plugin, the receiver and the private Redis are the same.',
        'The fake auth service answers at once; a real cluster adds its backend and network time to both the event and the listing after a reconnect.',
      ],
    };
  } finally {
    if (before === undefined) delete process.env.ACCESSBOT_TEST_REDIS_SOCKET;
    else process.env.ACCESSBOT_TEST_REDIS_SOCKET = before;
    await redis.stop();
  }
}
