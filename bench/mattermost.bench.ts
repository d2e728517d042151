// Mattermost plugin, end to end through the real API and host (BullMQ on a private Redis): how
// long from creating a request to its Mattermost post, and from a reviewer's dialog submission
// to the post showing the decision, against the fake Mattermost server on 127.0.0.1 with the
// real Client4 — beside the webhook plugin's figures for the same paths, measured in the same
// stack and run.

import mattermostPlugin from '../plugins/mattermost/index.js';
import webhookPlugin from '../plugins/webhook/index.js';
import type { PluginDefinition } from '../src/plugin-sdk/index.js';
import { click, submitDialog } from '../test/fakes/mattermost/interactions.js';
import { FakeMattermost, type FakePost } from '../test/fakes/mattermost/server.js';
import { startReceiver } from '../test/support/receiver.js';
import { startTestRedis } from '../test/support/redis.js';
import { DBA_ROLES_YAML } from '../test/support/seed-world.js';
import { startTestStack } from '../test/support/stack.js';
import { percentile, until } from './stats.js';
import type { BenchSection } from './types.js';
import { timeCreates, timeWebhookDecision, WEBHOOK_SECRET } from './webhook-baseline.js';

const N = 60;
const ACTION_SECRET = 'bench-mattermost-action-secret-0123456789';
const HOOK_HOST = 'accessbot.bench';

export default async function run(): Promise<BenchSection> {
  const redis = await startTestRedis();
  process.env.ACCESSBOT_TEST_REDIS_SOCKET = redis.socket;
  const fake = await new FakeMattermost().start();
  const receiver = await startReceiver({ secret: WEBHOOK_SECRET });
  const ops = fake.addChannel('acme', 'ops');
  fake.addUser('alice', 'alice@example.com');
  fake.allowedUntrustedInternalConnections = [HOOK_HOST];
  const stack = await startTestStack({
    rolesYaml: DBA_ROLES_YAML,
    // The requester has no email, so each request makes exactly one post and one webhook call.
    users: [
      { name: 'req', roles: ['requester'] },
      { name: 'alice', email: 'alice@example.com', roles: ['approver'] },
    ],
    definitions: new Map([
      ['mattermost', mattermostPlugin as unknown as PluginDefinition],
      ['webhook', webhookPlugin as unknown as PluginDefinition],
    ]),
    plugins: {
      mattermost: {
        url: fake.url,
        token: fake.token,
        action_secret: ACTION_SECRET,
        callback_url: `http://${HOOK_HOST}/hooks/mattermost`,
      },
      webhook: { secret: WEBHOOK_SECRET },
    },
    routing: [{ roles: ['*'], targets: { mattermost: ['acme/ops'], webhook: [receiver.urlFor('ops')] } }],
  });
  fake.mapHost(HOOK_HOST, stack.host.url);
  try {
    const requester = await stack.clientFor('req');
    const rootOf = (id: string) =>
      fake.rootPosts(ops).find((p) => p.props.accessbot_request_id === id) as FakePost | undefined;
    // create → post, both plugins fed by the same request.
    const {
      ids,
      toPlatform: createToPost,
      toWebhook: createToWebhook,
    } = await timeCreates({
      requester,
      receiver,
      count: N,
      what: 'mattermost root post',
      find: rootOf,
      postedAt: (m) => m.create_at,
    });

    // Mattermost: click (the dialog opens), then the dialog submitted at once → the post edited
    // to APPROVED, on half the requests; a signed webhook decision → the receiver sees the
    // review, on the other half.
    const clickToUpdate: number[] = [];
    const submitToUpdate: number[] = [];
    const decisionToWebhook: number[] = [];
    for (let i = 0; i + 1 < ids.length; i += 2) {
      const id = ids[i]!;
      const post = rootOf(id)!;
      const dialogsBefore = fake.dialogs.length;
      const start = Date.now();
      const clicked = await click(fake, post, 'alice', 'approve');
      if (clicked.status !== 200) throw new Error(`bench: click answered ${clicked.status}`);
      const dialog = await until(() => fake.dialogs[dialogsBefore], 'review dialog');
      const submitAt = Date.now();
      const submitted = await submitDialog(fake, dialog, 'alice', { reason: 'bench' });
      if (submitted.status !== 200 || submitted.shown)
        throw new Error(`bench: submit answered ${submitted.shown}`);
      const updated = await until(
        () => (post.message.includes('APPROVED') ? post : undefined),
        'updated post',
      );
      clickToUpdate.push(updated.edit_at - start);
      submitToUpdate.push(updated.edit_at - submitAt);

      decisionToWebhook.push(await timeWebhookDecision(stack, receiver, ids[i + 1]!));
    }

    const duplicates = ids.filter(
      (id) => fake.rootPosts(ops).filter((p) => p.props.accessbot_request_id === id).length !== 1,
    );
    return {
      title:
        'Mattermost plugin end to end (real API + host + Redis, real Client4; fake Mattermost server and webhook receiver on 127.0.0.1)',
      rows: [
        {
          name: 'create → Mattermost post p50',
          value: percentile(createToPost, 50),
          unit: 'ms',
          baseline: { name: 'create → webhook p50', value: percentile(createToWebhook, 50), unit: 'ms' },
        },
        {
          name: 'create → Mattermost post p99',
          value: percentile(createToPost, 99),
          unit: 'ms',
          baseline: { name: 'create → webhook p99', value: percentile(createToWebhook, 99), unit: 'ms' },
        },
        {
          name: 'dialog submit → updated post p50',
          value: percentile(submitToUpdate, 50),
          unit: 'ms',
          baseline: {
            name: 'signed decision → webhook update p50',
            value: percentile(decisionToWebhook, 50),
            unit: 'ms',
          },
        },
        {
          name: 'dialog submit → updated post p99',
          value: percentile(submitToUpdate, 99),
          unit: 'ms',
          baseline: {
            name: 'signed decision → webhook update p99',
            value: percentile(decisionToWebhook, 99),
            unit: 'ms',
          },
        },
        {
          name: 'click → updated post p99 (dialog submitted at once)',
          value: percentile(clickToUpdate, 99),
          unit: 'ms',
          baseline: {
            name: 'signed decision → webhook update p99',
            value: percentile(decisionToWebhook, 99),
            unit: 'ms',
          },
        },
        {
          name: 'requests without exactly one Mattermost root post',
          value: duplicates.length,
          unit: 'requests',
        },
      ],
      notes: [
        `${N} requests after 5 warm-ups, one at a time; ${submitToUpdate.length} Mattermost reviews and ${decisionToWebhook.length} webhook decisions. p99 of ${N} (or ${submitToUpdate.length}) samples is close to the maximum.`,
        'Both plugins serve the same stack and the same requests, so the ratio is the Mattermost plugin against the simplest plugin on the same path.',
        'Mattermost path on create: the channel id from team/channel (once, cached), createPost. On review: the click relayed by the fake server, the MAC checked, actions/dialogs/open; after the submission the state MAC and nonce (Redis), getUser (email mapping), the review through the API; then the host edits the post (patchPost) and posts the thread reply.',
      ],
    };
  } finally {
    await stack.stop();
    await receiver.stop();
    await fake.stop();
    await redis.stop();
  }
}
