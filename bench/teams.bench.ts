// Teams plugin, end to end through the real API and host (BullMQ on a private Redis) and the
// real Agents SDK: how long from creating a request to its card in the channel, and from a
// reviewer's click in the card (an Action.Execute invoke, RS256-signed) to the refreshed card
// answered to them and to the card updated for everyone, against the fake Teams on 127.0.0.1;
// beside the webhook plugin's figures for the same paths, in the same stack and run.

import { clearJwksClients } from '@microsoft/agents-hosting';
import teamsPlugin from '../plugins/teams/index.js';
import webhookPlugin from '../plugins/webhook/index.js';
import type { PluginDefinition } from '../src/plugin-sdk/index.js';
import { cardInvoke, cardText, postActivity } from '../test/fakes/teams/activities.js';
import { FakeTeams, type FakeTeamsMessage } from '../test/fakes/teams/server.js';
import { startReceiver } from '../test/support/receiver.js';
import { startTestRedis } from '../test/support/redis.js';
import { DBA_ROLES_YAML } from '../test/support/seed-world.js';
import { startTestStack } from '../test/support/stack.js';
import { percentile, until } from './stats.js';
import type { BenchSection } from './types.js';
import { timeCreates, timeWebhookDecision, WEBHOOK_SECRET } from './webhook-baseline.js';

const N = 60;
const CHANNEL = '19:approvals@thread.tacv2';

export default async function run(): Promise<BenchSection> {
  const redis = await startTestRedis();
  process.env.ACCESSBOT_TEST_REDIS_SOCKET = redis.socket;
  clearJwksClients();
  const fake = await new FakeTeams().start();
  const receiver = await startReceiver({ secret: WEBHOOK_SECRET });
  const alice = fake.addUser('alice', 'alice@example.com');
  const stack = await startTestStack({
    rolesYaml: DBA_ROLES_YAML,
    // The requester has no email, so each request makes exactly one card and one webhook call.
    users: [
      { name: 'req', roles: ['requester'] },
      { name: 'alice', email: 'alice@example.com', roles: ['approver'] },
    ],
    definitions: new Map([
      ['teams', teamsPlugin as unknown as PluginDefinition],
      ['webhook', webhookPlugin as unknown as PluginDefinition],
    ]),
    plugins: {
      teams: {
        app_id: fake.appId,
        tenant_id: fake.tenantId,
        auth: 'sidecar',
        sidecar_url: fake.baseUrl,
        authority_url: fake.authorityUrl,
        graph_url: fake.graphUrl,
        service_url: fake.serviceUrl,
        teams: [fake.team.id],
      },
      webhook: { secret: WEBHOOK_SECRET },
    },
    routing: [{ roles: ['*'], targets: { teams: ['#Ops/approvals'], webhook: [receiver.urlFor('ops')] } }],
  });
  try {
    const requester = await stack.clientFor('req');
    const cardOf = (id: string) =>
      fake.roots().find((m) => m.conversationId === CHANNEL && JSON.stringify(m.attachments).includes(id)) as
        | FakeTeamsMessage
        | undefined;
    const {
      ids,
      toPlatform: createToCard,
      toWebhook: createToWebhook,
    } = await timeCreates({
      requester,
      receiver,
      count: N,
      what: 'teams card',
      find: cardOf,
      postedAt: (m) => m.postedAt,
    });

    const hookUrl = stack.hookUrl('teams', '/messages');
    const clickToAnswer: number[] = [];
    const clickToUpdated: number[] = [];
    const decisionToWebhook: number[] = [];
    for (let i = 0; i + 1 < ids.length; i += 2) {
      const teamsId = ids[i]!;
      const card = cardOf(teamsId)!;
      const start = Date.now();
      const answer = await postActivity(
        hookUrl,
        cardInvoke(fake, card, alice, 'approve', 'bench'),
        fake.inboundToken(),
      );
      if (answer.status !== 200) throw new Error(`bench: the invoke answered ${answer.status}`);
      clickToAnswer.push(Date.now() - start);
      const updated = await until(
        () =>
          !card.attachments[0]?.content.actions &&
          cardText(card.attachments[0]?.content).includes('APPROVED') &&
          card,
        'the card updated for everyone',
      );
      clickToUpdated.push((updated.editedAt ?? Date.now()) - start);

      decisionToWebhook.push(await timeWebhookDecision(stack, receiver, ids[i + 1]!));
    }

    const duplicates = ids.filter(
      (id) => fake.roots().filter((m) => JSON.stringify(m.attachments).includes(id)).length !== 1,
    );
    const webhookUpdate = (p: number) => ({
      name: `signed decision → webhook update p${p}`,
      value: percentile(decisionToWebhook, p),
      unit: 'ms',
    });
    return {
      title:
        'Teams plugin end to end (real API + host + Redis + Agents SDK; fake Bot Connector, Entra authority and webhook receiver on 127.0.0.1)',
      rows: [
        {
          name: 'create → Teams card p50',
          value: percentile(createToCard, 50),
          unit: 'ms',
          baseline: { name: 'create → webhook p50', value: percentile(createToWebhook, 50), unit: 'ms' },
        },
        {
          name: 'create → Teams card p99',
          value: percentile(createToCard, 99),
          unit: 'ms',
          baseline: { name: 'create → webhook p99', value: percentile(createToWebhook, 99), unit: 'ms' },
        },
        {
          name: 'click → refreshed card answered to the clicker p99',
          value: percentile(clickToAnswer, 99),
          unit: 'ms',
          baseline: webhookUpdate(99),
        },
        {
          name: 'click → card updated for everyone p50',
          value: percentile(clickToUpdated, 50),
          unit: 'ms',
          baseline: webhookUpdate(50),
        },
        {
          name: 'click → card updated for everyone p99',
          value: percentile(clickToUpdated, 99),
          unit: 'ms',
          baseline: webhookUpdate(99),
        },
        { name: 'requests without exactly one Teams card', value: duplicates.length, unit: 'requests' },
      ],
      notes: [
        `${N} requests after 5 warm-ups, one at a time; ${clickToUpdated.length} Teams clicks and ${decisionToWebhook.length} webhook decisions. p99 of ${N} samples is close to the maximum.`,
        'Teams path on create: the channel found by team and channel name once (GET /v3/teams/…), then POST /v3/conversations/{channel}/activities. On a click: JWT check (JWKS cached), the member lookup for the email, the review through the API, the refreshed card in the invoke answer; then the host PUTs the card and posts the thread reply.',
      ],
    };
  } finally {
    await stack.stop();
    await receiver.stop();
    await fake.stop();
    await redis.stop();
  }
}
