// Jira plugin: what the idempotent issue creation, a retried delivery and a webhook-driven
// review cost, measured against the fake Jira REST API on 127.0.0.1 beside bare REST calls in
// the same run (so the figures are our overhead and round trips, not Jira's latency).

import { randomUUID } from 'node:crypto';
import definition from '../plugins/jira/index.js';
import type { IssueRef } from '../plugins/jira/issues.js';
import type { PluginInstance } from '../src/plugin-sdk/index.js';
import { startFakeJira } from '../test/fakes/jira/index.js';
import { MemoryKv, makeCard, TestDecisions, testContext } from '../test/fakes/jira/plugin-context.js';
import { firstTry } from '../test/fakes/plugin-context.js';
import { meanMs } from './stats.js';
import type { BenchSection } from './types.js';

const N = 150;
const SECRET = 'whsec-bench-0123456789abcdef';

export default async function run(): Promise<BenchSection> {
  const jira = await startFakeJira();
  try {
    jira.addUser({ accountId: 'bot-1', displayName: 'bot', email: 'bot@example.com', apiToken: 'bot-token' });
    jira.addUser({ accountId: 'acc-bob', displayName: 'Bob', email: 'bob@example.com' });
    jira.model.addProject('SEC');
    const decisions = new TestDecisions([{ name: 'bob', email: 'bob@example.com', mayReview: true }]);
    const config = definition.configSchema.parse({
      base_url: jira.baseUrl,
      auth: { type: 'basic', email: 'bot@example.com', api_token: 'bot-token' },
      project: 'SEC',
      webhook_secret: SECRET,
    });
    const plugin = (await definition.create(
      testContext(config, decisions, new MemoryKv()),
    )) as PluginInstance<IssueRef>;
    const target = await plugin.resolveRecipient('SEC', 'reviewer');
    const route = plugin.routes!()[0]!;
    const auth = `Basic ${Buffer.from('bot@example.com:bot-token').toString('base64')}`;
    const api = `${jira.baseUrl}/rest/api/2`;

    const bareCreate = await meanMs(N, () =>
      fetch(`${api}/issue`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          fields: {
            project: { key: 'SEC' },
            issuetype: { name: 'Task' },
            summary: 'bare',
            description: 'bare',
          },
        }),
      }).then((r) => r.text()),
    );
    const cards = Array.from({ length: N + 10 }, () => makeCard({ requestId: randomUUID() }));
    let callsBefore = jira.calls.length;
    const deliver = await meanMs(N, (i) => plugin.deliver(target, cards[i < 0 ? N - 1 - i : i]!, firstTry()));
    const deliverCalls = (jira.calls.length - callsBefore) / (N + 10);

    const bareGet = await meanMs(N, () =>
      fetch(`${api}/issue/SEC-1`, { headers: { authorization: auth } }).then((r) => r.text()),
    );
    callsBefore = jira.calls.length;
    const redeliver = await meanMs(N, (i) => plugin.deliver(target, cards[Math.abs(i) % N]!, firstTry()));
    const redeliverCalls = (jira.calls.length - callsBefore) / (N + 10);

    // A board move per request, handed to a stand-in decide (the API's cost is not Jira's).
    const keys: string[] = [];
    for (const card of cards.slice(0, N + 10)) {
      decisions.cards.set(card.requestId, card);
      keys.push(String((await plugin.deliver(target, card, firstTry())).issueKey));
    }
    const bareChangelog = await meanMs(N, () =>
      fetch(`${api}/issue/SEC-1?expand=changelog`, { headers: { authorization: auth } }).then((r) =>
        r.text(),
      ),
    );
    callsBefore = jira.calls.length;
    const hooks = keys.map((k) => jira.moveIssue(k, 'Approved', 'acc-bob', SECRET));
    callsBefore = jira.calls.length;
    const webhook = await meanMs(N, (i) => {
      const hook = hooks[i < 0 ? N - 1 - i : i]!;
      return route.handler({
        method: 'POST',
        path: '/',
        headers: hook.headers,
        rawBody: hook.rawBody,
        query: {},
      });
    });
    const webhookCalls = (jira.calls.length - callsBefore) / (N + 10);

    return {
      title: 'Jira plugin (fake Jira REST v2 on 127.0.0.1, jira.js client)',
      rows: [
        {
          name: 'new request → issue',
          value: deliver,
          unit: 'ms',
          baseline: { name: 'bare POST /issue', value: bareCreate, unit: 'ms' },
        },
        {
          name: 'retried delivery (issue found, no duplicate)',
          value: redeliver,
          unit: 'ms',
          baseline: { name: 'bare GET /issue', value: bareGet, unit: 'ms' },
        },
        {
          name: 'board move → review (verify, re-read, decide, answer)',
          value: webhook,
          unit: 'ms',
          baseline: { name: 'bare GET /issue?expand=changelog', value: bareChangelog, unit: 'ms' },
        },
        { name: 'Jira calls per new request', value: deliverCalls, unit: 'calls' },
        { name: 'Jira calls per retried delivery', value: redeliverCalls, unit: 'calls' },
        { name: 'Jira calls per board move', value: webhookCalls, unit: 'calls' },
      ],
      notes: [
        `${N} operations each after 10 warm-ups, one at a time; the fake answers in-process, so ratios show our overhead and round trips.`,
        'New request: label search + create + entity property (3 calls). Retried: issue check + property refresh (2 calls).',
        'Board move: issue with changelog, property, comments, then status check (4 calls) when the move decides the request.',
      ],
    };
  } finally {
    await jira.stop();
  }
}
