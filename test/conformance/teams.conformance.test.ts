// The Teams plugin against the fake Teams (test/fakes/teams): messages are Adaptive Cards posted
// as new threads in the Ops team's #approvals (by name) and #security (by id) channels and in the
// requester's 1:1 chat; replies are thread replies; a decision is the real flow, an
// Action.Execute invoke signed with the authority's key, answered with the refreshed card whose
// first line tells the clicker what happened. The forged call is signed with a key the authority
// never published, the stale one with a token that expired an hour ago.

import { clearJwksClients } from '@microsoft/agents-hosting';
import teamsPlugin from '../../plugins/teams/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { cardInvoke, cardText, postActivity } from '../fakes/teams/activities.js';
import { FakeTeams, type FakeTeamsMessage } from '../fakes/teams/server.js';
import { waitFor } from '../support/stack.js';
import type {
  ConformanceAdapter,
  ConformanceUser,
  DecisionAnswer,
  DecisionArgs,
  PlatformFake,
} from './adapter.js';
import { describeConformance } from './suite.js';

const STATES = /\b(PENDING|APPROVED|DENIED|EXPIRED|WITHDRAWN)\b/;

type Json = Record<string, unknown>;
const contentOf = (m: FakeTeamsMessage): Json | undefined => m.attachments[0]?.content;

function statusOf(m: FakeTeamsMessage): string {
  const body = (contentOf(m)?.body as Json[] | undefined) ?? [];
  for (const element of body) {
    const found = STATES.exec(String(element.text ?? ''));
    if (found) return found[1]!;
  }
  return 'UNKNOWN';
}

async function startTeamsFake(users: ConformanceUser[]): Promise<PlatformFake> {
  clearJwksClients();
  const fake = await new FakeTeams().start();
  for (const user of users) fake.addUser(user.name, user.email);

  const roots = (requestId: string) =>
    fake.roots().filter((m) => m.attachments.length > 0 && JSON.stringify(contentOf(m)).includes(requestId));

  const reviewerMessage = (requestId: string) =>
    waitFor(
      () => roots(requestId).find((m) => Array.isArray(contentOf(m)?.actions)),
      15_000,
      `a card of ${requestId} with actions`,
    );

  async function click(
    hookUrl: (path: string) => string,
    args: DecisionArgs,
    token: (fake: FakeTeams) => string,
  ): Promise<DecisionAnswer> {
    const message = await reviewerMessage(args.requestId);
    const activity = cardInvoke(fake, message, fake.userByName(args.user), args.action, args.reason);
    const answer = await postActivity(hookUrl('/messages'), activity, token(fake));
    const card = (answer.body.value as Json | undefined) ?? undefined;
    return { status: answer.status, shown: card ? cardText(card).split('\n')[0]! : answer.text };
  }

  return {
    pluginConfig: {
      app_id: fake.appId,
      tenant_id: fake.tenantId,
      auth: 'sidecar',
      sidecar_url: fake.baseUrl,
      authority_url: fake.authorityUrl,
      service_url: fake.serviceUrl,
      teams: [fake.team.id],
      graph_url: fake.graphUrl,
    },
    // One channel by team and channel name, one by id, as admins write both.
    reviewerRecipients: ['#Ops/approvals', '19:security@thread.tacv2'],
    async messages(requestId) {
      return roots(requestId).map((m) => ({
        id: m.id,
        target: m.conversationId,
        status: statusOf(m),
        actions: ((contentOf(m)?.actions as Json[] | undefined) ?? []).map((a) => String(a.verb)),
        text: cardText(contentOf(m)),
      }));
    },
    async replies(requestId) {
      return roots(requestId).flatMap((root) =>
        fake.repliesTo(root).map((r) => r.text ?? cardText(r.attachments[0]?.content)),
      );
    },
    failNext: (n) => fake.failNext(n),
    loseNextAnswers: (n) => fake.loseNextAnswers(n),
    rateLimitNext: (n, seconds) => fake.rateLimitNext(n, seconds),
    unusedFaults: () => fake.unusedFaults(),
    decisions: {
      decide: (hookUrl, args) => click(hookUrl, args, (f) => f.inboundToken()),
      forged: (hookUrl, args) => click(hookUrl, args, (f) => f.inboundToken({}, f.wrongKey)),
      stale: (hookUrl, args) =>
        click(hookUrl, args, (f) => {
          const now = Math.floor(Date.now() / 1000);
          return f.inboundToken({ iat: now - 7200, nbf: now - 7200, exp: now - 3600 });
        }),
    },
    stop: () => fake.stop(),
  };
}

export const teamsAdapter: ConformanceAdapter = {
  id: 'teams',
  definition: teamsPlugin as unknown as PluginDefinition,
  startFake: startTeamsFake,
};

describeConformance(teamsAdapter, { replies: true, lostAnswers: true, decisions: true });
