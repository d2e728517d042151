// Teams gives up on an invoke after about five seconds. A click whose review takes longer (a
// slow API) is still answered in time, with the card saying the review is being recorded, and
// the review itself is not abandoned: it finishes afterwards.

import { clearJwksClients } from '@microsoft/agents-hosting';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import teamsPlugin, { type TeamsPluginInstance } from '../../plugins/teams/index.js';
import { cardFromRequest, type InboundDecision, type InboundRoute } from '../../src/plugin-sdk/index.js';
import { MemoryKv, silentLog } from '../fakes/plugin-context.js';
import { cardInvoke, cardText } from '../fakes/teams/activities.js';
import { FakeTeams } from '../fakes/teams/server.js';

/** How long the API takes to record the review here: longer than Teams waits for an invoke. */
const SLOW_DECISION_MS = 6000;

describe('teams: a slow decision', () => {
  let fake: FakeTeams;
  let plugin: TeamsPluginInstance;
  let route: InboundRoute;
  const decided: InboundDecision[] = [];

  const card = cardFromRequest({
    id: 'req-slow',
    version: 1,
    state: 'PENDING',
    user: 'rita',
    roles: ['dba'],
    resources: [],
    reason: 'slow',
    suggestedReviewers: [],
    annotations: {},
    thresholds: [{ approve: 1, deny: 1 }],
    roleThresholds: { dba: [0] },
    reviews: [],
    created: new Date().toISOString(),
    requestExpires: new Date(Date.now() + 3_600_000).toISOString(),
    accessExpires: new Date(Date.now() + 7_200_000).toISOString(),
  } as never);

  beforeAll(async () => {
    clearJwksClients();
    fake = await new FakeTeams().start();
    fake.addUser('alice', 'alice@example.com');
    const config = teamsPlugin.configSchema.parse({
      app_id: fake.appId,
      tenant_id: fake.tenantId,
      auth: 'sidecar',
      sidecar_url: fake.baseUrl,
      authority_url: fake.authorityUrl,
      graph_url: fake.graphUrl,
      service_url: fake.serviceUrl,
      teams: [fake.team.id],
    });
    plugin = (await teamsPlugin.create({
      id: 'teams',
      config,
      log: silentLog,
      kv: new MemoryKv(),
      decide: async (decision) => {
        await new Promise((resolve) => setTimeout(resolve, SLOW_DECISION_MS));
        decided.push(decision);
        return { kind: 'done', message: 'Approved.' };
      },
      getCard: async () => card,
    })) as TeamsPluginInstance;
    route = plugin.routes!()[0]!;
  });

  afterAll(async () => {
    await plugin?.close?.();
    await fake?.stop();
  });

  it('answers the invoke in time with a card saying the review is being recorded, then records it', async () => {
    const target = await plugin.resolveRecipient('#Ops/approvals', 'reviewer');
    await plugin.deliver(target, card, { deliveryId: 'd-slow', attempt: 1, mayHaveBeenSent: false });
    const message = fake.roots()[0]!;
    const invoke = cardInvoke(fake, message, fake.userByName('alice'), 'approve', 'looks fine');
    const started = Date.now();
    const answer = await route.handler({
      method: 'POST',
      path: '/messages',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${fake.inboundToken()}` },
      rawBody: Buffer.from(JSON.stringify(invoke)),
      query: {},
    });
    const took = Date.now() - started;
    expect(took).toBeLessThan(SLOW_DECISION_MS - 1000);
    expect(answer.status).toBe(200);
    const body = answer.body as { type: string; value: Record<string, unknown> };
    expect(body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(cardText(body.value)).toMatch(/being recorded/);
    expect(decided).toHaveLength(0);
    await plugin.idle();
    expect(decided).toEqual([
      expect.objectContaining({
        requestId: 'req-slow',
        action: 'approve',
        reason: 'looks fine',
        person: { email: 'alice@example.com' },
      }),
    ]);
  }, 20_000);
});
