// The Teams plugin's messages under a card, driven directly against the fake Teams: a reminder
// in the channel card's thread, the requester's outcome notice in their 1:1 chat, a withdrawn
// card that offers nothing any more, and the approvals and denials a pending card still needs.

import { clearJwksClients } from '@microsoft/agents-hosting';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import teamsPlugin, { type TeamsPluginInstance } from '../../plugins/teams/index.js';
import { type AccessRequest, type Card, cardFromRequest } from '../../src/plugin-sdk/index.js';
import { MemoryKv, silentLog } from '../fakes/plugin-context.js';
import { cardText } from '../fakes/teams/activities.js';
import { FakeTeams } from '../fakes/teams/server.js';

const delivery = (id: string) => ({ deliveryId: id, attempt: 1, mayHaveBeenSent: false });

function requestCard(
  state: 'PENDING' | 'APPROVED',
  audience: 'reviewer' | 'requester',
  more: Partial<AccessRequest> = {},
): Card {
  return cardFromRequest(
    {
      id: 'req-msgs',
      version: state === 'PENDING' ? 1 : 2,
      state,
      user: 'rita',
      roles: ['dba'],
      resources: [],
      reason: 'messages',
      suggestedReviewers: [],
      annotations: {},
      thresholds: [{ approve: 1, deny: 1 }],
      roleThresholds: { dba: [0] },
      reviews: [],
      created: new Date().toISOString(),
      requestExpires: new Date(Date.now() + 3_600_000).toISOString(),
      accessExpires: new Date(Date.now() + 7_200_000).toISOString(),
      ...(state === 'APPROVED' ? { resolvedBy: 'alice', resolvedAt: new Date().toISOString() } : {}),
      ...more,
    } as AccessRequest,
    { audience },
  );
}

const approval = (author: string) => ({
  author,
  submittedBy: author,
  proposedState: 'APPROVED' as const,
  reason: 'fine',
  roles: [],
  annotations: {},
  created: new Date().toISOString(),
  thresholdIndexes: [0],
});

/** The card's "Still needed" fact as the reader sees it, or undefined when it has none. */
const stillNeededOf = (content: Record<string, unknown> | undefined) =>
  cardText(content)
    .split('\n')
    .find((line) => line.startsWith('Still needed: '))
    ?.slice('Still needed: '.length);

describe('teams: messages under a card', () => {
  let fake: FakeTeams;
  let plugin: TeamsPluginInstance;

  beforeAll(async () => {
    clearJwksClients();
    fake = await new FakeTeams().start();
    fake.addUser('rita', 'rita@example.com');
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

  it('a reminder goes in the channel card thread; a withdrawn card shows WITHDRAWN without actions', async () => {
    const target = await plugin.resolveRecipient('19:security@thread.tacv2', 'reviewer');
    const ref = await plugin.deliver(target, requestCard('PENDING', 'reviewer'), delivery('post-1'));
    const root = fake.roots().find((m) => m.id === ref.activityId)!;
    expect(root.conversationId).toBe('19:security@thread.tacv2');
    await plugin.remind!(target, ref, requestCard('PENDING', 'reviewer'), delivery('remind-1'));
    expect(fake.repliesTo(root).map((r) => cardText(r.attachments[0]?.content))).toEqual([
      expect.stringContaining('Still waiting for a review'),
    ]);
    await plugin.withdraw!(target, ref, requestCard('PENDING', 'reviewer'), delivery('withdraw-1'));
    expect(cardText(root.attachments[0]?.content)).toContain('WITHDRAWN');
    expect(root.attachments[0]?.content.actions).toBeUndefined();
  });

  it('the requester gets their card in a 1:1 chat, without actions, and a message with the outcome', async () => {
    const target = await plugin.resolveRecipient('Rita@Example.com', 'requester');
    const ref = await plugin.deliver(target, requestCard('PENDING', 'requester'), delivery('post-2'));
    const root = fake.roots().find((m) => m.id === ref.activityId)!;
    expect(fake.chats.get(root.conversationId)).toBe(fake.userByName('rita').id);
    expect(root.attachments[0]?.content.actions).toBeUndefined();
    const approved = requestCard('APPROVED', 'requester');
    await plugin.update(target, ref, approved, delivery('update-2'));
    await plugin.notifyOutcome!(target, ref, approved, delivery('outcome-2'));
    expect(cardText(root.attachments[0]?.content)).toContain('APPROVED');
    const notices = fake.messages.filter((m) => m.conversationId === root.conversationId && m.id !== root.id);
    expect(notices.map((m) => cardText(m.attachments[0]?.content))).toEqual([
      expect.stringMatching(/Your access request req-msgs is ✅ APPROVED by alice/),
    ]);
  });

  it('a pending card says what it still needs, for everyone after each review; a decided or withdrawn one does not', async () => {
    const target = await plugin.resolveRecipient('19:security@thread.tacv2', 'reviewer');
    const twoApprovals = { thresholds: [{ approve: 2, deny: 1 }] };
    const ref = await plugin.deliver(
      target,
      requestCard('PENDING', 'reviewer', twoApprovals),
      delivery('post-3'),
    );
    const root = fake.roots().find((m) => m.id === ref.activityId)!;
    expect(stillNeededOf(root.attachments[0]?.content)).toBe('2 approvals to approve, or 1 denial to deny');
    // One approval in: the card is edited in place and counts down.
    const oneIn = requestCard('PENDING', 'reviewer', { ...twoApprovals, reviews: [approval('alice')] });
    await plugin.update(target, ref, oneIn, delivery('update-3'));
    expect(stillNeededOf(root.attachments[0]?.content)).toBe('1 approval to approve, or 1 denial to deny');
    expect(root.attachments[0]?.content.actions).toHaveLength(2);
    // Decided: nothing is needed any more, so the line goes.
    const approved = requestCard('APPROVED', 'reviewer', {
      ...twoApprovals,
      reviews: [approval('alice'), approval('bob')],
    });
    await plugin.update(target, ref, approved, delivery('update-4'));
    expect(cardText(root.attachments[0]?.content)).toContain('APPROVED');
    expect(stillNeededOf(root.attachments[0]?.content)).toBeUndefined();
    // Withdrawn while pending: nothing is left to review, so nothing is needed either.
    await plugin.withdraw!(target, ref, oneIn, delivery('withdraw-3'));
    expect(cardText(root.attachments[0]?.content)).toContain('WITHDRAWN');
    expect(stillNeededOf(root.attachments[0]?.content)).toBeUndefined();
  });
});
