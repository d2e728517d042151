// SIGKILL the host while its calls for a review's thread reply and the requester's outcome DM
// are under way in Slack, start it again: each arrives exactly once, whether Slack never acted
// on the interrupted call or acted and the answer was lost with the host.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServiceToken } from '../../src/api/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { HOST_ROLES, HOST_USERS } from '../host/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import type { HostProcessSpec } from '../support/host-process.js';
import { type HostChild, spawnHostProcess, testRedisOptions, waitFor } from '../support/stack.js';

let testApi: TestApi;
let slack: FakeSlack;
let opsChannel: string;
let aliceDm: string;
let host: HostChild | undefined;

beforeAll(async () => {
  testApi = await startTestApi({ rolesYaml: HOST_ROLES, users: HOST_USERS });
  slack = await new FakeSlack().start();
  opsChannel = slack.addChannel('ops');
  slack.addUser({ id: 'UALICE', name: 'alice', email: 'alice@example.com' });
  slack.addUser({ id: 'UBOB', name: 'bob', email: 'bob@example.com' });
  aliceDm = slack.dmChannelOf('UALICE');
});

afterAll(async () => {
  await host?.kill('SIGKILL');
  await slack?.stop();
  await testApi?.stop();
});

async function hostSpec(): Promise<HostProcessSpec> {
  return {
    apiUrl: testApi.api.url,
    apiToken: await ensureServiceToken(testApi.api.store, 'accessbot-host', ['accessbot-plugin']),
    redisSocket: testRedisOptions().path,
    prefix: `s${randomUUID().slice(0, 8)}`,
    plugins: {
      slack: { token: slack.botToken, api_url: slack.apiUrl, interactions: 'none', timeout_ms: 60_000 },
    },
    routing: [{ roles: ['dba'], targets: { slack: ['#ops'] } }],
    delivery: { backoff: '100ms', max_backoff: '1s', attempts: 30 },
    lockDurationMs: 3000,
    stalledIntervalMs: 1000,
  };
}

/** The reply in the reviewers' thread, or the outcome DM: the two messages the kill interrupts. */
const threadOrOutcome = (method: string, params: Record<string, unknown>) =>
  method === 'chat.postMessage' && (params.thread_ts !== undefined || String(params.channel).startsWith('D'));

describe.each([
  { act: false, case: 'Slack never acted on the interrupted calls' },
  { act: true, case: 'Slack acted and the answers were lost' },
])('host killed mid-call: $case', ({ act }) => {
  it('the review reply and the outcome DM each arrive exactly once', { timeout: 90_000 }, async () => {
    const spec = await hostSpec();
    host = await spawnHostProcess(spec);
    const alice = await testApi.clientFor('alice');
    const request = await alice.createRequest({ roles: ['dba'], reason: `kill mid-reply ${act}` });
    const rootOf = (channel: string) =>
      slack
        .rootMessages(channel)
        .find((m) => m.text.includes(request.id) || JSON.stringify(m.metadata ?? {}).includes(request.id));
    await waitFor(
      () => rootOf(opsChannel) && rootOf(aliceDm),
      20_000,
      'the channel post and the requester copy',
    );
    const root = rootOf(opsChannel)!;
    const requesterCopy = rootOf(aliceDm)!;

    slack.stallNext(2, threadOrOutcome, { act });
    const bob = await testApi.clientFor('bob');
    await bob.submitReview(request.id, { proposedState: 'APPROVED', reason: 'fine by me' });
    await waitFor(() => slack.stalledCalls === 2, 20_000, 'the reply and the outcome DM under way');
    await host.kill('SIGKILL');
    slack.releaseStalled();

    host = await spawnHostProcess(spec);
    const outcomeDms = () =>
      slack.rootMessages(aliceDm).filter((m) => m.ts !== requesterCopy.ts && m.text.includes(request.id));
    await waitFor(
      () => slack.threadReplies(opsChannel, root.ts).length >= 1 && outcomeDms().length >= 1,
      40_000,
      'the reply and the outcome DM after the restart',
    );
    // A second copy would come from a retry within a lock period or two: give it the chance.
    await new Promise((r) => setTimeout(r, 4000));
    expect(slack.threadReplies(opsChannel, root.ts).map((m) => m.text)).toHaveLength(1);
    expect(slack.threadReplies(opsChannel, root.ts)[0]!.text).toContain('approved');
    expect(outcomeDms()).toHaveLength(1);
    expect(outcomeDms()[0]!.text).toContain('APPROVED');
    await host.kill('SIGTERM');
    host = undefined;
  });
});
