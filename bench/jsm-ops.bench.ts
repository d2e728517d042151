// jsm-ops plugin, both flavors, against the fake JSM Operations / Opsgenie on 127.0.0.1 (so the
// figures are our overhead and the number of round trips, not Atlassian's latency):
// - the host's on-call decision over the plugin's provider, and calls per decision, beside one
//   bare authenticated GET to the same fake (the shared on-call section, as for PagerDuty);
// - create → alert: `deliver` until the platform's request status says the alert exists (both
//   platforms create asynchronously; the fake processes a write 5 ms after accepting it), p99,
//   interleaved with the bare GET so a loaded machine slows both alike.
// ACCESSBOT_BENCH_JSM_N sets the number of operations (default 200).

import definition from '../plugins/jsm-ops/index.js';
import { onCallPolicySchema } from '../src/config/schema.js';
import type { PluginInstance } from '../src/plugin-sdk/index.js';
import { type FakeJsmOps, type Flavor, startFakeJsmOps } from '../test/fakes/jsm-ops/server.js';
import { requestCard } from '../test/fakes/pagerduty/plugin-context.js';
import { firstTry, testPluginContext } from '../test/fakes/plugin-context.js';
import { measureOnCallSection, type OnCallBenchWorld } from './on-call-section.js';
import { percentile } from './stats.js';
import type { BenchSection } from './types.js';

const N = Number(process.env.ACCESSBOT_BENCH_JSM_N ?? 200);

const productOf = (flavor: Flavor) => (flavor === 'jsm' ? 'JSM Operations' : 'Opsgenie');

interface Seeded {
  ops: FakeJsmOps;
  plugin: PluginInstance & Required<Pick<PluginInstance, 'onCall'>>;
  world: Omit<OnCallBenchWorld, 'stop'>;
  teamRecipient: string;
}

/** The fake with two schedules (20 people on call in one, the requester in the other) and the plugin. */
async function seed(flavor: Flavor): Promise<Seeded> {
  const ops = await startFakeJsmOps();
  const alice = ops.dir.addUser({ fullName: 'Alice', username: 'alice@example.com' });
  const oscar = ops.dir.addUser({ fullName: 'Oscar', username: 'oscar@example.com' });
  const others = Array.from({ length: 20 }, (_, i) =>
    ops.dir.addUser({ fullName: `U${i}`, username: `u${i}@example.com` }),
  );
  const db = ops.dir.addSchedule('Databases', others);
  const pay = ops.dir.addSchedule('Payments', [...others.slice(0, 5), alice]);
  const team = ops.dir.addTeam('Access Reviewers');
  const credentials =
    flavor === 'jsm'
      ? { cloud_id: ops.cloudId, email: ops.email, api_token: ops.apiToken }
      : { api_key: ops.apiKey };
  const config = definition.configSchema.parse({ flavor, ...credentials, base_url: ops.url });
  const ctx = testPluginContext('jsm-ops', config, {
    decide: async () => ({ kind: 'done', message: '' }),
    getCard: async () => null,
  });
  const plugin = (await definition.create(ctx)) as Seeded['plugin'];
  const schedules = flavor === 'jsm' ? [db.id, pay.id] : [db.name, pay.name];
  const who = (name: string, accountId: string) => {
    const email = `${name}@example.com`;
    return {
      card: requestCard({ annotations: { jsm_ops_schedules: schedules } }, { email }),
      person: { name, email, traits: { atlassian_account_id: [accountId] } },
    };
  };
  const bareUrl =
    flavor === 'jsm'
      ? `${ops.url}/jsm/ops/api/${ops.cloudId}/v1/alerts?size=1`
      : `${ops.url}/v2/alerts?limit=1`;
  const authorization =
    flavor === 'jsm'
      ? `Basic ${Buffer.from(`${ops.email}:${ops.apiToken}`).toString('base64')}`
      : `GenieKey ${ops.apiKey}`;
  return {
    ops,
    plugin,
    teamRecipient: flavor === 'jsm' ? `team:${team.id}` : 'team:Access Reviewers',
    world: {
      provider: plugin.onCall,
      policy: onCallPolicySchema.parse({ max_escalation_level: 1, schedules: ['Payments'], roles: ['dba'] }),
      onCall: who('alice', alice.accountId),
      offCall: who('oscar', oscar.accountId),
      scopeCount: 2,
      calls: () => ops.calls.length,
      bareGet: () =>
        fetch(bareUrl, { headers: { Accept: 'application/json', Authorization: authorization } }).then((r) =>
          r.text(),
        ),
      bareGetName:
        flavor === 'jsm' ? 'authenticated GET /v1/alerts?size=1' : 'authenticated GET /v2/alerts?limit=1',
    },
  };
}

/** Per-run times of `fns`, interleaved (a, b, a, b…) after 10 warm-ups of each. */
async function interleaved(n: number, fns: ((i: number) => Promise<unknown>)[]): Promise<number[][]> {
  for (let i = 0; i < 10; i++) for (const fn of fns) await fn(-1 - i);
  const times = fns.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    for (const [k, fn] of fns.entries()) {
      const start = performance.now();
      await fn(i);
      times[k]!.push(performance.now() - start);
    }
  }
  return times;
}

async function alertSection(flavor: Flavor): Promise<BenchSection> {
  const { ops, plugin, world, teamRecipient } = await seed(flavor);
  try {
    const target = await plugin.resolveRecipient(teamRecipient, 'reviewer');
    // A fresh request for every call, warm-ups included.
    const create = () => plugin.deliver(target, requestCard(), firstTry());
    const before = ops.calls.length;
    const [bare, created] = (await interleaved(N, [() => world.bareGet(), create])) as [number[], number[]];
    const callsPerAlert = (ops.calls.length - before - (N + 10)) / (N + 10);
    const mean = (t: number[]) => t.reduce((a, b) => a + b, 0) / t.length;
    return {
      title: `New alert: ${productOf(flavor)} (jsm-ops, fake on 127.0.0.1)`,
      rows: [
        {
          name: 'create → alert exists (POST + request-status polls), p99',
          value: percentile(created, 99),
          unit: 'ms',
          baseline: { name: `bare ${world.bareGetName}, p99`, value: percentile(bare, 99), unit: 'ms' },
        },
        {
          name: 'create → alert exists, mean',
          value: mean(created),
          unit: 'ms',
          baseline: { name: `bare ${world.bareGetName}, mean`, value: mean(bare), unit: 'ms' },
        },
        { name: `${productOf(flavor)} calls per new alert`, value: callsPerAlert, unit: 'calls' },
      ],
      notes: [
        `${N} alerts, each run interleaved with a bare GET, after 10 warm-ups of each.`,
        'A new alert is one POST and request-status polls until processed (the first after 20 ms, then doubling); the fake processes writes 5 ms after accepting them, so the first poll finds it.',
      ],
    };
  } finally {
    await ops.stop();
  }
}

export default async function run(): Promise<BenchSection[]> {
  const sections: BenchSection[] = [];
  for (const flavor of ['jsm', 'opsgenie'] as const) {
    sections.push(
      await measureOnCallSection(
        {
          name: `${productOf(flavor)} (jsm-ops)`,
          async start() {
            const { ops, world } = await seed(flavor);
            return { ...world, stop: () => ops.stop() };
          },
        },
        N,
      ),
    );
    sections.push(await alertSection(flavor));
  }
  return sections;
}
