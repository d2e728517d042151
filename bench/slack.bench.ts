// Slack plugin, end to end through the real API and host (BullMQ on a private Redis): how long
// from creating a request to its Slack message, and from a reviewer's click to the review's
// thread reply, against the fake Slack Web API on 127.0.0.1 — beside the webhook plugin's
// figures for the same paths, measured in the same stack and run.

import slackPlugin from '../plugins/slack/index.js';
import webhookPlugin from '../plugins/webhook/index.js';
import type { PluginDefinition } from '../src/plugin-sdk/index.js';
import {
  clickPayload,
  postInteraction,
  signInteraction,
  submitPayload,
} from '../test/fakes/slack/interactions.js';
import { FakeSlack, type FakeSlackMessage } from '../test/fakes/slack/server.js';
import { startReceiver } from '../test/support/receiver.js';
import { startTestRedis } from '../test/support/redis.js';
import { DBA_ROLES_YAML } from '../test/support/seed-world.js';
import { startTestStack } from '../test/support/stack.js';
import { percentile, until } from './stats.js';
import type { BenchSection } from './types.js';
import { timeCreates, timeWebhookDecision, WEBHOOK_SECRET } from './webhook-baseline.js';

const N = 60;
const SIGNING_SECRET = 'bench-slack-signing-secret';

export default async function run(): Promise<BenchSection> {
  const redis = await startTestRedis();
  process.env.ACCESSBOT_TEST_REDIS_SOCKET = redis.socket;
  const fake = await new FakeSlack().start();
  const receiver = await startReceiver({ secret: WEBHOOK_SECRET });
  const ops = fake.addChannel('ops');
  fake.addUser({ id: 'UALICE', name: 'alice', email: 'alice@example.com' });
  const stack = await startTestStack({
    rolesYaml: DBA_ROLES_YAML,
    // The requester has no email, so each request makes exactly one Slack message and one webhook call.
    users: [
      { name: 'req', roles: ['requester'] },
      { name: 'alice', email: 'alice@example.com', roles: ['approver'] },
    ],
    definitions: new Map([
      ['slack', slackPlugin as unknown as PluginDefinition],
      ['webhook', webhookPlugin as unknown as PluginDefinition],
    ]),
    plugins: {
      slack: { token: fake.botToken, signing_secret: SIGNING_SECRET, api_url: fake.apiUrl },
      webhook: { secret: WEBHOOK_SECRET },
    },
    routing: [{ roles: ['*'], targets: { slack: ['#ops'], webhook: [receiver.urlFor('ops')] } }],
  });
  try {
    const requester = await stack.clientFor('req');
    const rootOf = (id: string) =>
      fake.rootMessages(ops).find((m) => JSON.stringify(m.blocks).includes(id)) as
        | FakeSlackMessage
        | undefined;
    // create → message, both plugins fed by the same request.
    const {
      ids,
      toPlatform: createToSlack,
      toWebhook: createToWebhook,
    } = await timeCreates({
      requester,
      receiver,
      count: N,
      what: 'slack root message',
      find: rootOf,
      postedAt: (m) => m.postedAt,
    });

    // click → thread reply (Slack: click, the modal opens, submitted at once) on half the
    // requests; signed webhook decision → the receiver sees the review, on the other half.
    const hookUrl = stack.hookUrl('slack', '/interactions');
    const clickToReply: number[] = [];
    const submitToReply: number[] = [];
    const decisionToWebhook: number[] = [];
    for (let i = 0; i + 1 < ids.length; i += 2) {
      const slackId = ids[i]!;
      const root = rootOf(slackId)!;
      const viewsBefore = fake.views.length;
      const start = Date.now();
      await postInteraction(
        hookUrl,
        signInteraction(SIGNING_SECRET, clickPayload(fake, root, 'UALICE', 'accessbot_approve')),
      );
      const opened = await until(() => fake.views.slice(viewsBefore)[0], 'modal');
      const submitAt = Date.now();
      await postInteraction(hookUrl, signInteraction(SIGNING_SECRET, submitPayload(fake, opened, 'bench')));
      const reply = await until(() => fake.threadReplies(ops, root.ts)[0], 'thread reply');
      clickToReply.push(reply.postedAt - start);
      submitToReply.push(reply.postedAt - submitAt);

      decisionToWebhook.push(await timeWebhookDecision(stack, receiver, ids[i + 1]!));
    }

    const duplicates = ids.filter(
      (id) => fake.rootMessages(ops).filter((m) => JSON.stringify(m.blocks).includes(id)).length !== 1,
    );
    return {
      title:
        'Slack plugin end to end (real API + host + Redis; fake Slack Web API and webhook receiver on 127.0.0.1)',
      rows: [
        {
          name: 'create → Slack message p50',
          value: percentile(createToSlack, 50),
          unit: 'ms',
          baseline: { name: 'create → webhook p50', value: percentile(createToWebhook, 50), unit: 'ms' },
        },
        {
          name: 'create → Slack message p99',
          value: percentile(createToSlack, 99),
          unit: 'ms',
          baseline: { name: 'create → webhook p99', value: percentile(createToWebhook, 99), unit: 'ms' },
        },
        {
          name: 'click → thread reply p99 (modal submitted at once)',
          value: percentile(clickToReply, 99),
          unit: 'ms',
          baseline: {
            name: 'signed decision → webhook update p99',
            value: percentile(decisionToWebhook, 99),
            unit: 'ms',
          },
        },
        {
          name: 'modal submit → thread reply p99',
          value: percentile(submitToReply, 99),
          unit: 'ms',
          baseline: {
            name: 'signed decision → webhook update p99',
            value: percentile(decisionToWebhook, 99),
            unit: 'ms',
          },
        },
        {
          name: 'modal submit → thread reply p50',
          value: percentile(submitToReply, 50),
          unit: 'ms',
          baseline: {
            name: 'signed decision → webhook update p50',
            value: percentile(decisionToWebhook, 50),
            unit: 'ms',
          },
        },
        {
          name: 'requests without exactly one Slack root message',
          value: duplicates.length,
          unit: 'requests',
        },
      ],
      notes: [
        `${N} requests after 5 warm-ups, one at a time; ${clickToReply.length} Slack reviews and ${decisionToWebhook.length} webhook decisions. p99 of ${N} samples is close to the maximum.`,
        'Both plugins serve the same stack and the same requests, so the ratio is the Slack plugin against the simplest plugin on the same path.',
        'Slack path on create: users/channels as given, chat.postMessage. On review: views.open after the click; after the submission users.info (email mapping), the review through the API, chat.postEphemeral, then the host posts the thread reply (chat.postMessage) and edits the message (chat.update).',
      ],
    };
  } finally {
    await stack.stop();
    await receiver.stop();
    await fake.stop();
    await redis.stop();
  }
}
