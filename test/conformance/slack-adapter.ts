// The Slack plugin against the fake Slack Web API (test/fakes/slack): messages are root posts
// in #ops, in a channel given by ID and in the requester's DM; replies are thread replies;
// a decision is the real flow, a signed button click, the review modal it opens, and the
// signed modal submission, answered with an ephemeral message to the clicker.

import slackPlugin from '../../plugins/slack/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import {
  buttonActionIds,
  clickPayload,
  postInteraction,
  signInteraction,
  submitPayload,
} from '../fakes/slack/interactions.js';
import { FakeSlack, type FakeSlackMessage, type OpenedView } from '../fakes/slack/server.js';
import { waitFor } from '../support/stack.js';
import type {
  ConformanceAdapter,
  ConformanceUser,
  DecisionAnswer,
  DecisionArgs,
  PlatformFake,
  PlatformMessage,
} from './adapter.js';

const SECRET = 'conformance-slack-signing-secret';
/** The platform calls that write what people see; faults are aimed at these only. */
const WRITES = ['chat.postMessage', 'chat.update'];
const STATES = /\b(PENDING|APPROVED|DENIED|EXPIRED|WITHDRAWN)\b/;

const slackIdOf = (name: string) => `U${name.toUpperCase()}`;

function statusOf(message: FakeSlackMessage): string {
  const first = (message.blocks[0]?.text as { text?: string } | undefined)?.text ?? message.text;
  return STATES.exec(first.split('\n')[0] ?? '')?.[1] ?? 'UNKNOWN';
}

async function startSlackFake(users: ConformanceUser[]): Promise<PlatformFake> {
  const fake = await new FakeSlack().start();
  fake.addChannel('ops');
  const security = fake.addChannel('security');
  for (const user of users) fake.addUser({ id: slackIdOf(user.name), name: user.name, email: user.email });

  /** Root messages about the request (outcome DMs are text only and not the request's message). */
  const roots = (requestId: string) =>
    fake.rootMessages().filter((m) => m.blocks.length > 0 && JSON.stringify(m.blocks).includes(requestId));

  const reviewerMessage = (requestId: string) =>
    waitFor(
      () => roots(requestId).find((m) => buttonActionIds(m).length > 0),
      15_000,
      `a message of ${requestId} with buttons`,
    );

  const ephemeralAfter = (userId: string, seen: number) =>
    waitFor(
      () => fake.ephemerals.filter((e) => e.user === userId)[seen],
      15_000,
      `the answer shown to ${userId}`,
    );

  /** A view_submission for a modal the person never opened, as someone forging one would send. */
  const handMadeSubmission = (args: DecisionArgs) => {
    const userId = slackIdOf(args.user);
    const view: OpenedView = {
      id: 'VFORGED0001',
      triggerId: 'none',
      user: userId,
      view: {
        type: 'modal',
        callback_id: 'accessbot_review',
        private_metadata: JSON.stringify({ r: args.requestId, a: args.action }),
        blocks: [
          {
            type: 'input',
            block_id: 'reason',
            label: { type: 'plain_text', text: 'Reason' },
            element: { type: 'plain_text_input', action_id: 'reason' },
          },
        ],
      },
    };
    return submitPayload(fake, view, args.reason);
  };

  const submitUnverified = async (
    hookUrl: (path: string) => string,
    args: DecisionArgs,
    sign: { secret: string; timestampSeconds?: number },
  ): Promise<DecisionAnswer> => {
    const res = await postInteraction(
      hookUrl('/interactions'),
      signInteraction(sign.secret, handMadeSubmission(args), {
        ...(sign.timestampSeconds ? { timestampSeconds: sign.timestampSeconds } : {}),
      }),
    );
    return { status: res.status, shown: await res.text() };
  };

  return {
    pluginConfig: { token: fake.botToken, signing_secret: SECRET, api_url: fake.apiUrl },
    // One channel by name, one by ID, as admins write both.
    reviewerRecipients: ['#ops', security],
    async messages(requestId): Promise<PlatformMessage[]> {
      return roots(requestId).map((m) => ({
        id: m.ts,
        target: m.channel,
        status: statusOf(m),
        actions: buttonActionIds(m).map((id) => id.replace(/^accessbot_/, '')),
        text: `${m.text}\n${JSON.stringify(m.blocks)}`,
      }));
    },
    async replies(requestId) {
      return roots(requestId).flatMap((root) =>
        fake.threadReplies(root.channel, root.ts).map((r) => `${r.text}\n${JSON.stringify(r.blocks)}`),
      );
    },
    failNext: (n) => fake.failNext(n, { methods: WRITES }),
    rateLimitNext: (n, seconds) => fake.rateLimitNext(n, seconds, { methods: WRITES }),
    loseNextAnswers: (n) => fake.loseNextAnswers(n, { methods: ['chat.postMessage'] }),
    unusedFaults: () => fake.unusedFaults(),
    decisions: {
      async decide(hookUrl, args) {
        const url = hookUrl('/interactions');
        const userId = slackIdOf(args.user);
        const message = await reviewerMessage(args.requestId);
        const answered = fake.ephemerals.filter((e) => e.user === userId).length;
        const viewsBefore = fake.views.length;
        const click = await postInteraction(
          url,
          signInteraction(SECRET, clickPayload(fake, message, userId, `accessbot_${args.action}`)),
        );
        if (click.status !== 200) return { status: click.status, shown: await click.text() };
        // The click opens the review modal (or, for a request already decided, answers at once).
        const opened = await waitFor(
          () =>
            fake.views.slice(viewsBefore).find((v) => v.user === userId) ??
            (fake.ephemerals.filter((e) => e.user === userId).length > answered ? 'answered' : undefined),
          15_000,
          `the review modal for ${args.user}`,
        );
        if (opened === 'answered') {
          return { status: click.status, shown: (await ephemeralAfter(userId, answered)).text };
        }
        const submit = await postInteraction(
          url,
          signInteraction(SECRET, submitPayload(fake, opened, args.reason)),
        );
        const shown = (await ephemeralAfter(userId, answered)).text;
        return { status: submit.status, shown };
      },
      forged: (hookUrl, args) => submitUnverified(hookUrl, args, { secret: 'a-guessed-signing-secret' }),
      stale: (hookUrl, args) =>
        submitUnverified(hookUrl, args, {
          secret: SECRET,
          timestampSeconds: Math.floor(Date.now() / 1000) - 3600,
        }),
    },
    stop: () => fake.stop(),
  };
}

export const slackAdapter: ConformanceAdapter = {
  id: 'slack',
  definition: slackPlugin as unknown as PluginDefinition,
  startFake: startSlackFake,
};

/** What the slack fake gives the suite (the capabilities both worlds declare). */
export const slackCapabilities = { replies: true, lostAnswers: true, decisions: true };
