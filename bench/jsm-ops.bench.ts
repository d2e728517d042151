// jsm-ops plugin, both flavors: what an on-call decision and a new alert cost, measured against
// the fake JSM Operations / Opsgenie on 127.0.0.1 (so the figures are our overhead and the number
// of round trips, not Atlassian's latency). The decision is the host's own `decideOnCall` over
// the plugin's provider; the baseline is one bare authenticated GET to the same fake in the same
// run. Alert creation is asynchronous on both platforms: "create → alert" runs from `deliver`
// until the platform's request status says the alert exists (the fake processes a write 5 ms
// after accepting it). ACCESSBOT_BENCH_JSM_N sets the number of operations (default 200).

import definition from '../plugins/jsm-ops/index.js';
import { decideOnCall } from '../src/host/on-call/decide.js';
import type { Card, PersonInfo, PluginInstance } from '../src/plugin-sdk/index.js';
import { type FakeJsmOps, type Flavor, startFakeJsmOps } from '../test/fakes/jsm-ops/server.js';
import { requestCard } from '../test/fakes/pagerduty/plugin-context.js';
import { firstTry, silentLog, testPluginContext } from '../test/fakes/plugin-context.js';
import { percentile } from './stats.js';
import type { BenchSection } from './types.js';

const N = Number(process.env.ACCESSBOT_BENCH_JSM_N ?? 200);
const POLICY = { enabled: true, max_escalation_level: 1, roles: ['dba'] };

interface Timing {
  mean: number;
  p99: number;
}

/**
 * Times `n` runs of each of `fns`, interleaved (a, b, a, b…) after 10 warm-ups of each, so a
 * loaded machine slows the baseline and the measured operation alike.
 */
async function interleaved(n: number, fns: ((i: number) => Promise<unknown>)[]): Promise<Timing[]> {
  for (let i = 0; i < 10; i++) for (const fn of fns) await fn(-1 - i);
  const times = fns.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    for (const [k, fn] of fns.entries()) {
      const start = performance.now();
      await fn(i);
      times[k]!.push(performance.now() - start);
    }
  }
  return times.map((t) => ({ mean: t.reduce((a, b) => a + b, 0) / t.length, p99: percentile(t, 99) }));
}

async function section(flavor: Flavor): Promise<BenchSection> {
  const ops: FakeJsmOps = await startFakeJsmOps();
  try {
    const alice = ops.dir.addUser({ fullName: 'Alice', username: 'alice@example.com' });
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
    const plugin = (await definition.create(ctx)) as PluginInstance &
      Required<Pick<PluginInstance, 'onCall'>>;

    // Baseline: one bare authenticated GET, the least any call to the platform costs.
    const bareUrl =
      flavor === 'jsm'
        ? `${ops.url}/jsm/ops/api/${ops.cloudId}/v1/alerts?size=1`
        : `${ops.url}/v2/alerts?limit=1`;
    const authorization =
      flavor === 'jsm'
        ? `Basic ${Buffer.from(`${ops.email}:${ops.apiToken}`).toString('base64')}`
        : `GenieKey ${ops.apiKey}`;
    const bareGet = () =>
      fetch(bareUrl, { headers: { Accept: 'application/json', Authorization: authorization } }).then((r) =>
        r.text(),
      );

    // One decision as the host makes it: two schedules named, on call in the second.
    const schedules = flavor === 'jsm' ? [db.id, pay.id] : [db.name, pay.name];
    const card: Card = requestCard(
      { annotations: { jsm_ops_schedules: schedules } },
      { email: 'alice@example.com' },
    );
    const person: PersonInfo = {
      name: 'alice',
      email: 'alice@example.com',
      traits: { atlassian_account_id: [alice.accountId] },
    };
    const decide = async () => {
      const review = await decideOnCall(plugin.onCall, POLICY, card, async () => person, silentLog);
      if (review?.action !== 'approve') throw new Error('bench: expected an approval');
    };
    const target = await plugin.resolveRecipient(
      flavor === 'jsm' ? `team:${team.id}` : 'team:Access Reviewers',
      'reviewer',
    );
    const cards = Array.from({ length: N + 10 }, () => requestCard());
    const create = (i: number) => plugin.deliver(target, cards[i < 0 ? N - i - 1 : i]!, firstTry());

    // Calls per operation, counted on their own (10 warm-ups + 10 runs each).
    const callsBefore = ops.calls.length;
    await interleaved(10, [decide]);
    const callsPerDecision = (ops.calls.length - callsBefore) / 20;
    const createsBefore = ops.calls.length;
    await interleaved(10, [(i) => create(i < 0 ? i : N + 9 - i)]);
    const callsPerCreate = (ops.calls.length - createsBefore) / 20;
    const [bare, decision, created] = (await interleaved(N, [bareGet, decide, create])) as [
      Timing,
      Timing,
      Timing,
    ];

    const product = flavor === 'jsm' ? 'JSM Operations' : 'Opsgenie';
    const baseline = { name: 'one bare authenticated GET', value: bare.mean, unit: 'ms' };
    const bareP99 = { name: 'bare GET p99', value: bare.p99, unit: 'ms' };
    return {
      title: `jsm-ops plugin, flavor ${flavor} (fake ${product} on 127.0.0.1)`,
      rows: [
        {
          name: 'on-call decision (host policy + provider, 2 schedules), mean',
          value: decision.mean,
          unit: 'ms',
          baseline,
        },
        { name: 'on-call decision, p99', value: decision.p99, unit: 'ms', baseline: bareP99 },
        { name: `${product} calls per on-call decision`, value: callsPerDecision, unit: 'calls' },
        {
          name: 'create → alert exists (POST + request-status polls), p99',
          value: created.p99,
          unit: 'ms',
          baseline: bareP99,
        },
        { name: `${product} calls per new alert`, value: callsPerCreate, unit: 'calls' },
      ],
      notes: [
        `${N} runs of each, interleaved with the bare GET (after 10 warm-ups of each), so load hits both alike.`,
        'A decision reads the on-call list of each named schedule (flat) and, on JSM, the name of the schedule the requester is on call in (cached 10 min).',
        'A new alert is one POST and status polls until processed (first after 20 ms, then doubling): the fake processes writes 5 ms after accepting them, so one poll usually finds it.',
      ],
    };
  } finally {
    await ops.stop();
  }
}

export default async function run(): Promise<BenchSection[]> {
  return [await section('jsm'), await section('opsgenie')];
}
