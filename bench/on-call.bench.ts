// On-call auto-approval: decision time and provider calls per decision for each on-call
// provider, beside one bare authenticated GET to the same fake in the same run
// (on-call-section.ts). A provider adds itself to PROVIDERS (or calls measureOnCallSection
// from a bench file of its own).

import definition from '../plugins/pagerduty/index.js';
import { onCallPolicySchema } from '../src/config/schema.js';
import type { PluginInstance } from '../src/plugin-sdk/index.js';
import { requestCard, testContext } from '../test/fakes/pagerduty/plugin-context.js';
import { startFakePagerDuty } from '../test/fakes/pagerduty/server.js';
import { measureOnCallSection, type OnCallBenchSpec } from './on-call-section.js';
import type { BenchSection } from './types.js';

const N = Number(process.env.ONCALL_BENCH_N ?? 200);

const pagerduty: OnCallBenchSpec = {
  name: 'PagerDuty',
  async start() {
    const pd = await startFakePagerDuty();
    pd.dir.addUser({ name: 'Bot', email: 'bot@example.com' });
    const db = pd.dir.addService('Databases');
    const pay = pd.dir.addService('Payments');
    const primary = pd.dir.addSchedule('Primary');
    const alice = pd.dir.addUser({ name: 'Alice', email: 'alice@example.com' });
    pd.dir.addUser({ name: 'Oscar', email: 'oscar@example.com' });
    pd.dir.putOnCall(alice, pay.escalation_policy, 1, primary);
    // Others on call on the same policies: the answer holds more than the requester's entries.
    for (let i = 0; i < 20; i++)
      pd.dir.putOnCall(
        pd.dir.addUser({ name: `U${i}`, email: `u${i}@example.com` }),
        db.escalation_policy,
        1,
        primary,
      );
    const { ctx } = testContext(
      definition.configSchema.parse({ api_key: pd.apiKey, from_email: 'bot@example.com', base_url: pd.url }),
    );
    const plugin = (await definition.create(ctx)) as PluginInstance;
    const annotations = { pagerduty_services: ['Databases', 'Payments'] };
    const who = (name: string) => {
      const email = `${name}@example.com`;
      return { card: requestCard({ annotations }, { email }), person: { name, email, traits: {} } };
    };
    return {
      provider: plugin.onCall!,
      policy: onCallPolicySchema.parse({ max_escalation_level: 1, schedules: ['Primary'], roles: ['dba'] }),
      onCall: who('alice'),
      offCall: who('oscar'),
      scopeCount: 2,
      calls: () => pd.calls.length,
      bareGet: () =>
        fetch(`${pd.url}/abilities`, {
          headers: {
            Accept: 'application/vnd.pagerduty+json;version=2',
            Authorization: `Token token=${pd.apiKey}`,
          },
        }).then((r) => r.text()),
      bareGetName: 'authenticated GET /abilities',
      stop: () => pd.stop(),
    };
  },
};

const PROVIDERS: OnCallBenchSpec[] = [pagerduty];

export default async function run(): Promise<BenchSection[]> {
  const sections: BenchSection[] = [];
  for (const spec of PROVIDERS) sections.push(await measureOnCallSection(spec, N));
  return sections;
}
