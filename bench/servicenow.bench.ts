// ServiceNow plugin: what a new request costs until its incident exists (p99), and what reading
// decisions back by polling costs per pending request (calls and ms), measured against the fake
// ServiceNow instance on 127.0.0.1 beside bare authenticated Table API calls in the same run (so
// the figures are our overhead and round trips, not ServiceNow's latency).
// `npm run bench -- servicenow`; BENCH_SERVICENOW_N sets the sizes (default 200).

import { performance } from 'node:perf_hooks';
import type { IncidentRef } from '../plugins/servicenow/incidents.js';
import definition from '../plugins/servicenow/index.js';
import { onCallPolicySchema } from '../src/config/schema.js';
import type { PluginInstance } from '../src/plugin-sdk/index.js';
import { requestCard } from '../test/fakes/pagerduty/plugin-context.js';
import { firstTry, MemoryKv, testPluginContext } from '../test/fakes/plugin-context.js';
import { startFakeServiceNow } from '../test/fakes/servicenow/server.js';
import { measureOnCallSection, type OnCallBenchSpec } from './on-call-section.js';
import { meanMs, percentile } from './stats.js';
import type { BenchSection } from './types.js';

const N = Number(process.env.BENCH_SERVICENOW_N ?? 200);

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 10; i++) await fn(-1 - i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn(i);
    out.push(performance.now() - start);
  }
  return out;
}

/** The on-call decision (shared section of bench/on-call-section.ts): 2 rotas named, 20 others on call. */
const onCall: OnCallBenchSpec = {
  name: 'ServiceNow',
  async start() {
    const sn = await startFakeServiceNow();
    const hour = 3_600_000;
    const shift = (rotaId: string, userSysId: string) =>
      sn.addShift({ rotaId, userSysId, from: new Date(Date.now() - hour), to: new Date(Date.now() + hour) });
    const db = sn.addRota('DBA primary');
    const pay = sn.addRota('Payments primary');
    shift(pay, sn.addUser({ user_name: 'alice', email: 'alice@example.com' }));
    sn.addUser({ user_name: 'oscar', email: 'oscar@example.com' });
    for (let i = 0; i < 20; i++) shift(db, sn.addUser({ user_name: `u${i}`, email: `u${i}@example.com` }));
    const config = definition.configSchema.parse({
      instance_url: sn.url,
      auth: { type: 'basic', ...sn.basic },
    });
    const ctx = testPluginContext('servicenow', config, {
      decide: async () => ({ kind: 'done', message: '' }),
      getCard: async () => null,
    });
    const plugin = (await definition.create(ctx)) as unknown as PluginInstance;
    const annotations = { servicenow_rotas: ['DBA primary', 'Payments primary'] };
    const who = (name: string) => {
      const email = `${name}@example.com`;
      return { card: requestCard({ annotations }, { email }), person: { name, email, traits: {} } };
    };
    const auth = `Basic ${Buffer.from(`${sn.basic.username}:${sn.basic.password}`).toString('base64')}`;
    return {
      provider: plugin.onCall!,
      policy: onCallPolicySchema.parse({ schedules: ['Payments primary', 'DBA primary'], roles: ['dba'] }),
      onCall: who('alice'),
      offCall: who('oscar'),
      scopeCount: 2,
      calls: () => sn.calls.length,
      bareGet: () =>
        fetch(`${sn.url}/api/now/table/incident?sysparm_limit=1`, {
          headers: { Authorization: auth, Accept: 'application/json' },
        }).then((r) => r.text()),
      bareGetName: 'authenticated GET /table/incident',
      stop: () => sn.stop(),
    };
  },
};

export default async function run(): Promise<BenchSection[]> {
  return [await incidentsAndPolls(), await measureOnCallSection(onCall, N)];
}

async function incidentsAndPolls(): Promise<BenchSection> {
  const sn = await startFakeServiceNow();
  try {
    sn.addGroup('Access Approvers');
    sn.addUser({ user_name: 'alice.s', email: 'alice@example.com' });
    sn.addUser({ user_name: 'bob.r', email: 'bob@example.com' });
    const config = definition.configSchema.parse({
      instance_url: sn.url,
      auth: { type: 'basic', ...sn.basic },
      assignment_group: 'Access Approvers',
      decisions: { poll_interval_seconds: 30 },
    });
    let decided = 0;
    const ctx = testPluginContext('servicenow', config, {
      kv: new MemoryKv(),
      async decide() {
        decided++;
        return { kind: 'done', message: 'recorded' };
      },
      getCard: async () => null,
    });
    const plugin = (await definition.create(ctx)) as PluginInstance<IncidentRef>;
    const target = await plugin.resolveRecipient('Access Approvers', 'reviewer');
    const auth = `Basic ${Buffer.from(`${sn.basic.username}:${sn.basic.password}`).toString('base64')}`;
    const table = `${sn.url}/api/now/table`;

    const barePost = await timed(N, (i) =>
      fetch(`${table}/incident`, {
        method: 'POST',
        headers: { Authorization: auth, Accept: 'application/json', 'Content-Type': 'application/json' },
        body: JSON.stringify({ short_description: `bare ${i}` }),
      }).then((r) => r.text()),
    );
    const bareGet = await meanMs(N, () =>
      fetch(`${table}/incident?sysparm_limit=1&sysparm_fields=sys_id`, {
        headers: { Authorization: auth, Accept: 'application/json' },
      }).then((r) => r.text()),
    );

    const cards = Array.from({ length: N + 10 }, () => requestCard({}, { email: 'alice@example.com' }));
    const refs: IncidentRef[] = [];
    const callsBefore = sn.calls.length;
    const create = await timed(N, async (i) => {
      const ref = await plugin.deliver(target, cards[i < 0 ? N - i - 1 : i]!, firstTry());
      if (i >= 0) refs.push(ref);
    });
    const callsPerCreate = (sn.calls.length - callsBefore) / (N + 10);

    // Every pending request's incident gets one approval, then polls read them back.
    for (const ref of refs) sn.recordApproval(ref.sysId, 'bob.r', 'approved', 'ok');
    const poll = plugin.poll!()!;
    const firstCalls = sn.calls.length;
    const firstStart = performance.now();
    await poll.run();
    const firstMs = performance.now() - firstStart;
    const firstPollCalls = sn.calls.length - firstCalls;
    if (decided !== N) throw new Error(`bench: ${decided} decisions handed over, expected ${N}`);
    // Steady state: the requests stay pending (the threshold wants more), nothing new to hand over.
    const steadyCalls = sn.calls.length;
    const steadyMs = await meanMs(20, () => poll.run());
    const steadyPollCalls = (sn.calls.length - steadyCalls) / 30;

    return {
      title: `ServiceNow plugin (fake ServiceNow on 127.0.0.1, ${N} requests)`,
      rows: [
        {
          name: 'new request → incident, p99 (lookup by correlation_id, caller lookup, POST)',
          value: percentile(create, 99),
          unit: 'ms',
          baseline: { name: 'bare POST /table/incident p99', value: percentile(barePost, 99), unit: 'ms' },
        },
        {
          name: 'new request → incident, p50',
          value: percentile(create, 50),
          unit: 'ms',
          baseline: { name: 'bare POST p50', value: percentile(barePost, 50), unit: 'ms' },
        },
        { name: 'ServiceNow calls per new request', value: callsPerCreate, unit: 'calls' },
        {
          name: 'poll with one new approval per pending request, per request',
          value: firstMs / N,
          unit: 'ms',
          baseline: { name: 'bare authenticated GET', value: bareGet, unit: 'ms' },
        },
        { name: '  … ServiceNow calls per pending request', value: firstPollCalls / N, unit: 'calls' },
        {
          name: 'steady poll (approvals already handed over), per pending request',
          value: steadyMs / N,
          unit: 'ms',
          baseline: { name: 'bare authenticated GET', value: bareGet, unit: 'ms' },
        },
        { name: '  … ServiceNow calls per pending request', value: steadyPollCalls / N, unit: 'calls' },
        { name: 'steady poll, whole', value: steadyMs, unit: 'ms' },
      ],
      notes: [
        `${N} sequential creates after 10 warm-ups; a poll pages 100 approvals per call.`,
        'A new approval costs its comment read, the decision, and (the request staying pending) a looked-for-then-posted work note.',
        'The plugin context is in memory (no Redis, no access API): the figures are the plugin and its ServiceNow round trips.',
      ],
    };
  } finally {
    await sn.stop();
  }
}
