// The Mattermost plugin against the fake Mattermost server (test/fakes/mattermost): messages are
// root posts in a channel named `team/channel`, in a channel given by id and in the requester's
// direct channel with the bot; replies are thread replies (`root_id`); a decision is the real
// flow, a click relayed by the server with the context it stored, the reason dialog it opens,
// and the dialog submission relayed by the server, whose refusals show as the dialog's error.

import { signButton } from '../../plugins/mattermost/action-auth.js';
import mattermostPlugin from '../../plugins/mattermost/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { actionIds, click, clickBody, postDirect, submitDialog } from '../fakes/mattermost/interactions.js';
import { FakeMattermost, type FakePost } from '../fakes/mattermost/server.js';
import { waitFor } from '../support/stack.js';
import type {
  ConformanceAdapter,
  ConformanceUser,
  DecisionAnswer,
  DecisionArgs,
  PlatformFake,
  PlatformMessage,
} from './adapter.js';
import { describeConformance } from './suite.js';

const SECRET = 'conformance-mattermost-action-secret-0123';
/** The host name Mattermost reaches accessbot by; the fake's DNS maps it to the test host. */
const HOOK_HOST = 'accessbot.test';
const STATES = /\b(PENDING|APPROVED|DENIED|EXPIRED|WITHDRAWN)\b/;

async function startMattermostFake(users: ConformanceUser[]): Promise<PlatformFake> {
  const fake = await new FakeMattermost().start();
  fake.addChannel('acme', 'ops');
  const security = fake.addChannel('acme', 'security', { type: 'P' });
  for (const user of users) fake.addUser(user.name, user.email);
  fake.allowedUntrustedInternalConnections = [HOOK_HOST];

  const roots = (requestId: string) =>
    fake.rootPosts().filter((p) => p.props.accessbot_request_id === requestId);

  /** Points the fake's DNS for the hook host at the test host (known once the stack runs). */
  const reach = (hookUrl: (path: string) => string) => fake.mapHost(HOOK_HOST, new URL(hookUrl('/')).origin);

  const reviewerPost = (requestId: string) =>
    waitFor(
      () => roots(requestId).find((p) => actionIds(p).length > 0),
      15_000,
      `a post of ${requestId} with buttons`,
    );

  /** A click body as the server would send it, carrying `context`, posted straight to the hook. */
  const clickWith = async (
    hookUrl: (path: string) => string,
    args: DecisionArgs,
    context: (post: FakePost) => unknown,
  ): Promise<DecisionAnswer> => {
    const post = await reviewerPost(args.requestId);
    const userId = fake.userByName(args.user).id;
    const res = await postDirect(hookUrl('/actions'), clickBody(fake, post, userId, context(post)));
    return { status: res.status, shown: JSON.stringify(res.json ?? {}) };
  };

  return {
    pluginConfig: {
      url: fake.url,
      token: fake.token,
      action_secret: SECRET,
      callback_url: `http://${HOOK_HOST}/hooks/mattermost`,
    },
    // One channel by team/name, one by id, as admins write both.
    reviewerRecipients: ['acme/ops', security],
    async messages(requestId): Promise<PlatformMessage[]> {
      return roots(requestId).map((p) => ({
        id: p.id,
        target: p.channel_id,
        status: STATES.exec(p.message.split('\n')[0] ?? '')?.[1] ?? 'UNKNOWN',
        actions: actionIds(p),
        text: `${p.message}\n${JSON.stringify(p.props.attachments)}`,
      }));
    },
    async replies(requestId) {
      return roots(requestId).flatMap((root) => fake.threadReplies(root.id).map((r) => r.message));
    },
    failNext: (n) => fake.failNext(n),
    rateLimitNext: (n, seconds) => fake.rateLimitNext(n, seconds),
    loseNextAnswers: (n) => fake.loseNextAnswers(n),
    unusedFaults: () => fake.pendingFaults(),
    decisions: {
      async decide(hookUrl, args) {
        reach(hookUrl);
        const post = await reviewerPost(args.requestId);
        const before = fake.dialogs.length;
        const clicked = await click(fake, fake.postById(post.id)!, args.user, args.action);
        const userId = fake.userByName(args.user).id;
        const dialog = fake.dialogs.slice(before).find((d) => d.userId === userId);
        // A click on a request already decided is answered at once, without a dialog.
        if (clicked.status !== 200 || !dialog) return { status: clicked.status, shown: clicked.shown };
        const submitted = await submitDialog(fake, dialog, args.user, { reason: args.reason });
        return { status: submitted.status, shown: submitted.shown };
      },
      // A context made up by someone who does not know the secret.
      forged: (hookUrl, args) =>
        clickWith(hookUrl, args, (post) => ({
          r: args.requestId,
          a: args.action,
          c: post.channel_id,
          p: post.id,
          e: Math.floor(Date.now() / 1000) + 3600,
          m: 'a'.repeat(64),
        })),
      // A context the plugin did sign, for buttons that expired an hour ago.
      stale: (hookUrl, args) =>
        clickWith(hookUrl, args, (post) =>
          signButton(SECRET, {
            r: args.requestId,
            a: args.action,
            c: post.channel_id,
            p: post.id,
            e: Math.floor(Date.now() / 1000) - 3600,
          }),
        ),
    },
    stop: () => fake.stop(),
  };
}

export const mattermostAdapter: ConformanceAdapter = {
  id: 'mattermost',
  definition: mattermostPlugin as unknown as PluginDefinition,
  startFake: startMattermostFake,
};

describeConformance(mattermostAdapter, { replies: true, lostAnswers: true, decisions: true });
