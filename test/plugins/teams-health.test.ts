// A Teams target the bot cannot reach yet is not dropped: its delivery fails as transient (the
// host retries it) with a message saying what to install where, and the plugin's health check
// names it until the app is installed there.

import { clearJwksClients } from '@microsoft/agents-hosting';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import teamsPlugin, { type TeamsPluginInstance } from '../../plugins/teams/index.js';
import { cardFromRequest } from '../../src/plugin-sdk/index.js';
import { MemoryKv, silentLog } from '../fakes/plugin-context.js';
import { FakeTeams } from '../fakes/teams/server.js';

describe('teams: a target not reachable yet', () => {
  let fake: FakeTeams;
  let plugin: TeamsPluginInstance;

  beforeAll(async () => {
    clearJwksClients();
    fake = await new FakeTeams().start();
    fake.addUser('zed', 'zed@example.com', { inTeam: false });
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
      decide: async () => ({ kind: 'error', message: 'not here' }),
      getCard: async () => null,
    })) as TeamsPluginInstance;
  });

  afterAll(async () => {
    await plugin?.close?.();
    await fake?.stop();
  });

  const card = cardFromRequest({
    id: 'req-1',
    version: 1,
    state: 'PENDING',
    user: 'tess',
    roles: ['prod-db'],
    resources: [],
    reason: 'health',
    suggestedReviewers: [],
    annotations: {},
    thresholds: [{ approve: 1, deny: 1 }],
    roleThresholds: { 'prod-db': [0] },
    reviews: [],
    created: new Date().toISOString(),
    requestExpires: new Date(Date.now() + 3_600_000).toISOString(),
    accessExpires: new Date(Date.now() + 7_200_000).toISOString(),
  } as never);

  it('fails transient with what to install where, and the health check names it', async () => {
    await expect(plugin.healthCheck()).resolves.toBeUndefined();
    for (const [raw, hint] of [
      ['zed@example.com', /install the accessbot app for zed@example.com/],
      ['#Ops/no-such-channel', /add the accessbot app to the team "Ops"/],
      ['#Elsewhere/approvals', /add the accessbot app to the team "Elsewhere"/],
    ] as const) {
      const target = await plugin.resolveRecipient(raw, 'reviewer');
      const failure = await plugin
        .deliver(target, card, { deliveryId: `d-${raw}`, attempt: 1, mayHaveBeenSent: false })
        .catch((err: unknown) => err);
      expect(failure).toMatchObject({
        name: 'PluginError',
        kind: 'transient',
        message: expect.stringMatching(hint),
      });
    }
    await expect(plugin.healthCheck()).rejects.toThrow(/zed@example.com.*no-such-channel.*Elsewhere/s);
    expect(fake.messages).toHaveLength(0);
  });

  it('refuses a recipient it cannot read, permanently, saying how to write one', async () => {
    await expect(plugin.resolveRecipient('ops-channel', 'reviewer')).rejects.toMatchObject({
      kind: 'permanent',
      message: expect.stringMatching(/#Team\/channel/),
    });
  });
});
