// The Teams plugin, whole stack (real API + host + Redis, the real Agents SDK) against the fake
// Teams: a channel the app is not in yet waits and is delivered once the app is installed; every
// way an inbound token can be wrong is refused with 401 before anything is decided; a reason
// full of markup reaches the card as plain text; 20 requests at once give one card each.

import { clearJwksClients } from '@microsoft/agents-hosting';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import teamsPlugin from '../../plugins/teams/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import {
  accessUsers,
  PEOPLE,
  platformUsers,
  QUICK_ROLE,
  ROLES_YAML,
  SLOW_ROLE,
} from '../conformance/world.js';
import { cardInvoke, cardText, installation, postActivity } from '../fakes/teams/activities.js';
import { FakeTeams, type FakeTeamsMessage } from '../fakes/teams/server.js';
import { startTestStack, type TestStack } from '../support/stack.js';

type Json = Record<string, unknown>;
const contentOf = (m: FakeTeamsMessage): Json | undefined => m.attachments[0]?.content;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('teams plugin', () => {
  let fake: FakeTeams;
  let stack: TestStack;

  beforeAll(async () => {
    clearJwksClients();
    fake = await new FakeTeams().start();
    for (const user of platformUsers()) fake.addUser(user.name, user.email);
    fake.addUser('zed', 'zed@example.com', { inTeam: false });
    stack = await startTestStack({
      rolesYaml: ROLES_YAML,
      users: accessUsers({} as never),
      definitions: new Map([['teams', teamsPlugin as unknown as PluginDefinition]]),
      // No team configured: the plugin learns the Ops team from its installation.
      plugins: {
        teams: {
          app_id: fake.appId,
          tenant_id: fake.tenantId,
          auth: 'sidecar',
          sidecar_url: fake.baseUrl,
          authority_url: fake.authorityUrl,
          graph_url: fake.graphUrl,
          service_url: `${fake.baseUrl}/not-this-one/`,
        },
      },
      routing: [
        { roles: [SLOW_ROLE], targets: { teams: ['zed@example.com'] } },
        { roles: ['*'], targets: { teams: ['#Ops/approvals'] } },
      ],
      delivery: { backoff: '50ms', max_backoff: '500ms', attempts: 100 },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await fake?.stop();
  });

  const hook = () => stack.hookUrl('teams', '/messages');
  let installedInTeam = false;
  /** The app is added to the Ops team (the first test does it after checking nothing was posted before). */
  async function installInTeam(): Promise<void> {
    const installed = await postActivity(
      hook(),
      installation(fake, fake.userByName('alice')),
      fake.inboundToken(),
    );
    expect(installed.status).toBe(200);
    installedInTeam = true;
  }
  const ensureInstalled = async () => {
    if (!installedInTeam) await installInTeam();
  };
  const cardsOf = (requestId: string) =>
    fake.roots().filter((m) => m.attachments.length > 0 && JSON.stringify(contentOf(m)).includes(requestId));
  const quickRequest = async (reason: string) =>
    (await stack.clientFor(PEOPLE.requester)).createRequest({ roles: [QUICK_ROLE], reason });

  it('a channel the app is not in yet waits, and gets the card once the app is installed in its team', async () => {
    const req = await quickRequest('before the install');
    await sleep(1500);
    expect(cardsOf(req.id).filter((m) => m.conversationId === '19:approvals@thread.tacv2')).toHaveLength(0);
    const installed = await postActivity(
      hook(),
      installation(fake, fake.userByName('alice')),
      fake.inboundToken(),
    );
    expect(installed.status).toBe(200);
    await stack.waitFor(
      () => cardsOf(req.id).find((m) => m.conversationId === '19:approvals@thread.tacv2'),
      20_000,
      'the card in #approvals after the install',
    );
    await sleep(600);
    expect(cardsOf(req.id).filter((m) => m.conversationId === '19:approvals@thread.tacv2')).toHaveLength(1);
  });

  it('refuses every badly authenticated activity with 401 and records no review', async () => {
    await ensureInstalled();
    const req = await quickRequest('tokens');
    const card = await stack.waitFor(
      () => cardsOf(req.id).find((m) => Array.isArray(contentOf(m)?.actions)),
      20_000,
      'the reviewer card',
    );
    const alice = fake.userByName('alice');
    const click = cardInvoke(fake, card, alice, 'approve', 'forged');
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string | undefined, Json][] = [
      ['no token', undefined, click],
      ['wrong audience', fake.inboundToken({ aud: 'someone-else' }), click],
      ['wrong key', fake.inboundToken({}, fake.wrongKey), click],
      ['wrong issuer', fake.inboundToken({ iss: `${fake.baseUrl}/another-tenant/v2.0` }), click],
      ['expired', fake.inboundToken({ iat: now - 7200, nbf: now - 7200, exp: now - 3600 }), click],
      ['token of another tenant', fake.inboundToken({ tid: 'another-tenant' }), click],
      [
        'activity of another tenant',
        fake.inboundToken(),
        {
          ...click,
          channelData: { tenant: { id: 'another-tenant' } },
          conversation: { ...(click.conversation as Json), tenantId: 'another-tenant' },
        },
      ],
      [
        'serviceUrl not the token one',
        fake.inboundToken(),
        { ...click, serviceUrl: 'http://127.0.0.1:1/evil/' },
      ],
      ['no serviceurl claim', fake.inboundToken({ serviceurl: undefined }), click],
    ];
    for (const [what, token, activity] of cases) {
      const answer = await postActivity(hook(), activity, token);
      expect(answer.status, what).toBe(401);
    }
    await sleep(500);
    const current = await stack.adminClient.getRequest(req.id);
    expect(current.reviews).toHaveLength(0);
    expect(current.state).toBe('PENDING');
    // The same click, correctly signed, decides.
    const answer = await postActivity(
      hook(),
      cardInvoke(fake, card, alice, 'approve', 'fine'),
      fake.inboundToken(),
    );
    expect(answer.status).toBe(200);
    expect(cardText(answer.body.value as Json)).toContain('APPROVED');
    await stack.waitFor(
      async () => (await stack.adminClient.getRequest(req.id)).state === 'APPROVED' || undefined,
      20_000,
      'approved',
    );
  });

  it('a reason full of markup is shown as text: no link, mention or formatting', async () => {
    const reason = 'see [this](https://evil.example/x) **now** <at>Everyone</at> www.evil.example \u202Eevil';
    await ensureInstalled();
    const req = await quickRequest(reason);
    const card = await stack.waitFor(() => cardsOf(req.id)[0], 20_000, 'the card');
    const text = cardText(contentOf(card));
    expect(text).not.toContain('[this](');
    expect(text).not.toContain('https://');
    expect(text).not.toContain('**now**');
    expect(text).not.toContain('<at>');
    expect(text).not.toContain('www.evil');
    expect(text).not.toContain('\u202E');
    expect(text).toContain('\\[this\\]');
  });

  const reviewerCard = async (requestId: string) =>
    stack.waitFor(
      () =>
        cardsOf(requestId).find(
          (m) => m.conversationId === '19:approvals@thread.tacv2' && Array.isArray(contentOf(m)?.actions),
        ),
      20_000,
      `the reviewer card of ${requestId}`,
    );
  const clickAs = async (name: string, card: FakeTeamsMessage, verb: string, reason: string) => {
    const answer = await postActivity(
      hook(),
      cardInvoke(fake, card, fake.userByName(name), verb, reason),
      fake.inboundToken(),
    );
    expect(answer.status).toBe(200);
    expect(answer.body.type).toBe('application/vnd.microsoft.card.adaptive');
    return cardText(answer.body.value as Json).split('\n')[0]!;
  };

  it('deny from the card: a denial without a reason is refused and shown, one with a reason decides; one reply per review', async () => {
    await ensureInstalled();
    const req = await quickRequest('to be denied in Teams');
    const card = await reviewerCard(req.id);
    // What a reviewer whose client has not refreshed yet still sees.
    const stale = structuredClone(card);
    expect(await clickAs('bob', card, 'deny', '')).toMatch(/reason before denying/);
    expect((await stack.adminClient.getRequest(req.id)).reviews).toHaveLength(0);
    expect(await clickAs('bob', card, 'deny', 'not during the freeze')).toMatch(/^✅/);
    const current = await stack.adminClient.getRequest(req.id);
    expect(current.state).toBe('DENIED');
    expect(current.reviews.map((r) => [r.author, r.reason])).toEqual([['bob', 'not during the freeze']]);
    // The card changes for everyone, without actions, and the review is replied in its thread.
    await stack.waitFor(
      () => {
        const shown = cardsOf(req.id).find((m) => m.id === card.id);
        return shown && !contentOf(shown)?.actions && cardText(contentOf(shown)).includes('DENIED')
          ? shown
          : undefined;
      },
      20_000,
      'the card showing DENIED without actions',
    );
    await stack.waitFor(() => fake.repliesTo(card).length === 1 || undefined, 20_000, 'the reply');
    await sleep(600);
    expect(fake.repliesTo(card).map((r) => cardText(r.attachments[0]?.content))).toEqual([
      expect.stringContaining('bob ❌ denied: not during the freeze'),
    ]);
    // A click on the decided card is refused and says why.
    expect(await clickAs('alice', stale, 'approve', 'late')).toMatch(/^⚠️ .*(decided|DENIED|resolved)/i);
    expect((await stack.adminClient.getRequest(req.id)).reviews).toHaveLength(1);
  });

  it('an older client sends Action.Submit: the review is recorded and answered in the conversation', async () => {
    await ensureInstalled();
    const req = await quickRequest('old client');
    const card = await reviewerCard(req.id);
    const alice = fake.userByName('alice');
    const invoke = cardInvoke(fake, card, alice, 'approve', '');
    const submit = {
      ...invoke,
      type: 'message',
      name: undefined,
      value: { requestId: req.id, accessbot: 'approve', reason: 'from an old client' },
    };
    const answer = await postActivity(hook(), submit, fake.inboundToken());
    expect(answer.status).toBe(200);
    await stack.waitFor(
      async () => (await stack.adminClient.getRequest(req.id)).state === 'APPROVED' || undefined,
      20_000,
      'approved',
    );
    await stack.waitFor(
      () => fake.messages.find((m) => m.conversationId === card.conversationId && m.text?.startsWith('✅')),
      20_000,
      'the answer in the conversation',
    );
  });

  it('a person outside every team waits until they install the app, then gets the card in their 1:1 chat', async () => {
    const req = await (await stack.clientFor(PEOPLE.teamRequester)).createRequest({
      roles: [SLOW_ROLE],
      reason: 'for zed',
    });
    const zed = fake.userByName('zed');
    const inZedsChat = () => cardsOf(req.id).filter((m) => fake.chats.get(m.conversationId) === zed.id);
    await sleep(1500);
    expect(inZedsChat()).toHaveLength(0);
    const chat = fake.openPersonalChat(zed);
    const installed = await postActivity(hook(), installation(fake, zed, chat), fake.inboundToken());
    expect(installed.status).toBe(200);
    const card = await stack.waitFor(() => inZedsChat()[0], 20_000, "the card in zed's chat");
    expect(card.conversationId).toBe(chat);
    await sleep(600);
    expect(inZedsChat()).toHaveLength(1);
  });

  it('a person who removes the app is not written to any more: their next card waits again', async () => {
    const zed = fake.userByName('zed');
    const chat = [...fake.chats].find(([, userId]) => userId === zed.id)?.[0];
    expect(chat, 'zed installed the app in the test before').toBeDefined();
    const removal = { ...installation(fake, zed, chat), action: 'remove' };
    expect((await postActivity(hook(), removal, fake.inboundToken())).status).toBe(200);
    const req = await (await stack.clientFor(PEOPLE.teamRequester)).createRequest({
      roles: [SLOW_ROLE],
      reason: 'after the removal',
    });
    await sleep(1500);
    expect(cardsOf(req.id).filter((m) => m.conversationId === chat)).toHaveLength(0);
    // Installed again: the waiting card arrives.
    expect((await postActivity(hook(), installation(fake, zed, chat), fake.inboundToken())).status).toBe(200);
    await stack.waitFor(
      () => cardsOf(req.id).find((m) => m.conversationId === chat),
      20_000,
      'the card after the reinstall',
    );
  });

  it('a Bot Connector outage then recovery: one card each, none lost', async () => {
    await ensureInstalled();
    fake.failNext(8);
    fake.rateLimitNext(2, 1);
    const requests = await Promise.all(Array.from({ length: 5 }, (_, i) => quickRequest(`outage ${i}`)));
    // Each request has a card in #approvals and one in the requester's 1:1 chat.
    await stack.waitFor(
      () => requests.every((r) => cardsOf(r.id).length >= 2) || undefined,
      60_000,
      'every card',
    );
    await sleep(800);
    expect(fake.unusedFaults()).toBe(0);
    for (const r of requests) {
      const places = cardsOf(r.id).map((m) => m.conversationId);
      expect(places).toHaveLength(2);
      expect(new Set(places).size).toBe(2);
    }
  });

  it('20 requests at once: one card each in the channel', async () => {
    await ensureInstalled();
    const requests = await Promise.all(Array.from({ length: 20 }, (_, i) => quickRequest(`burst ${i}`)));
    await stack.waitFor(
      () => requests.every((r) => cardsOf(r.id).length >= 1) || undefined,
      60_000,
      'every card',
    );
    await sleep(800);
    for (const r of requests)
      expect(cardsOf(r.id).filter((m) => m.conversationId === '19:approvals@thread.tacv2')).toHaveLength(1);
  });
});
