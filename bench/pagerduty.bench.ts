// PagerDuty plugin: what the idempotent incident open costs (the on-call check is in
// on-call.bench.ts, beside every other provider), measured
// against the fake PagerDuty REST API on 127.0.0.1 (so the figures are our overhead and the
// number of round trips, not PagerDuty's latency).

import definition from '../plugins/pagerduty/index.js';
import type { PluginInstance } from '../src/plugin-sdk/index.js';
import { requestCard, testContext } from '../test/fakes/pagerduty/plugin-context.js';
import { startFakePagerDuty } from '../test/fakes/pagerduty/server.js';
import { firstTry } from '../test/fakes/plugin-context.js';
import { meanMs } from './stats.js';
import type { BenchSection } from './types.js';

const N = 200;

export default async function run(): Promise<BenchSection> {
  const pd = await startFakePagerDuty();
  try {
    pd.dir.addUser({ name: 'Bot', email: 'bot@example.com' });
    const notify = pd.dir.addService('Access Requests');
    const db = pd.dir.addService('Databases');
    const pay = pd.dir.addService('Payments');
    const sched = pd.dir.addSchedule('Primary');
    const alice = pd.dir.addUser({ name: 'Alice', email: 'alice@example.com' });
    pd.dir.putOnCall(alice, pay.escalation_policy, 1, sched);
    for (let i = 0; i < 20; i++)
      pd.dir.putOnCall(
        pd.dir.addUser({ name: `U${i}`, email: `u${i}@example.com` }),
        db.escalation_policy,
        1,
        sched,
      );

    const { ctx } = testContext(
      definition.configSchema.parse({ api_key: pd.apiKey, from_email: 'bot@example.com', base_url: pd.url }),
    );
    const plugin = (await definition.create(ctx)) as PluginInstance;
    const target = await plugin.resolveRecipient('Access Requests', 'reviewer');

    // Baseline: one bare POST /incidents, the least any incident creation costs.
    const bare = await meanMs(N, (i) =>
      fetch(`${pd.url}/incidents`, {
        method: 'POST',
        headers: {
          Accept: 'application/vnd.pagerduty+json;version=2',
          Authorization: `Token token=${pd.apiKey}`,
          From: 'bot@example.com',
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({
          incident: {
            type: 'incident',
            title: `bare ${i}`,
            service: { id: notify.id, type: 'service_reference' },
          },
        }),
      }).then((r) => r.text()),
    );

    const cards = Array.from({ length: N + 10 }, () => requestCard());
    const idempotentOpen = await meanMs(N, (i) =>
      plugin.deliver(target, cards[i < 0 ? N - i - 1 : i]!, firstTry()),
    );
    const retriedOpen = await meanMs(N, (i) =>
      plugin.deliver(target, cards[i < 0 ? N - i - 1 : i]!, firstTry()),
    );

    return {
      title: 'PagerDuty plugin (fake PagerDuty on 127.0.0.1)',
      rows: [
        {
          name: 'open incident, idempotent (lookup by incident_key + POST)',
          value: idempotentOpen,
          unit: 'ms',
          baseline: { name: 'bare POST /incidents', value: bare, unit: 'ms' },
        },
        {
          name: 'retried delivery finding its incident (lookup only)',
          value: retriedOpen,
          unit: 'ms',
          baseline: { name: 'bare POST /incidents', value: bare, unit: 'ms' },
        },
      ],
      notes: [
        `${N} sequential operations each after 10 warm-up runs; means.`,
        'De-duplication costs one extra GET per new incident and saves the POST on every retry.',
        'The on-call decision moved to bench/on-call.bench.ts (the host policy beside every provider).',
      ],
    };
  } finally {
    await pd.stop();
  }
}
