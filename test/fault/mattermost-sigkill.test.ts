// SIGKILL the host while its Mattermost posts are under way (the root posts of a new request,
// then a review's thread reply and the requester's outcome post), start it again: each post
// exists exactly once, whether Mattermost never acted on the interrupted call or acted and the
// answer was lost with the host. Mattermost takes no lasting idempotency key, so this is the
// plugin's delivery-id lookup at work.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServiceToken } from '../../src/api/server.js';
import { FakeMattermost } from '../fakes/mattermost/server.js';
import { HOST_ROLES, HOST_USERS } from '../host/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import type { HostProcessSpec } from '../support/host-process.js';
import { type HostChild, spawnHostProcess, testRedisOptions, waitFor } from '../support/stack.js';

let testApi: TestApi;
let mattermost: FakeMattermost;
let ops: string;
let host: HostChild | undefined;

beforeAll(async () => {
  testApi = await startTestApi({ rolesYaml: HOST_ROLES, users: HOST_USERS });
  mattermost = await new FakeMattermost().start();
  ops = mattermost.addChannel('acme', 'ops');
  mattermost.addUser('alice', 'alice@example.com');
  mattermost.addUser('bob', 'bob@example.com');
});

afterAll(async () => {
  await host?.kill('SIGKILL');
  await mattermost?.stop();
  await testApi?.stop();
});

async function hostSpec(): Promise<HostProcessSpec> {
  return {
    apiUrl: testApi.api.url,
    apiToken: await ensureServiceToken(testApi.api.store, 'accessbot-host', ['accessbot-plugin']),
    redisSocket: testRedisOptions().path,
    prefix: `m${randomUUID().slice(0, 8)}`,
    plugins: {
      mattermost: { url: mattermost.url, token: mattermost.token, interactions: 'none', timeout_ms: 60_000 },
    },
    routing: [{ roles: ['dba'], targets: { mattermost: ['acme/ops'] } }],
    delivery: { backoff: '100ms', max_backoff: '1s', attempts: 30 },
    lockDurationMs: 3000,
    stalledIntervalMs: 1000,
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([
  { act: false, case: 'Mattermost never acted on the interrupted calls' },
  { act: true, case: 'Mattermost acted and the answers were lost' },
])('host killed mid-call: $case', ({ act }) => {
  it('root posts, the review reply and the outcome post each exist exactly once', {
    timeout: 120_000,
  }, async () => {
    const spec = await hostSpec();
    const alice = await testApi.clientFor('alice');
    const aliceDm = () => mattermost.directChannelOf(mattermost.userByName('alice').id);
    const rootsIn = (channel: string | undefined, requestId: string) =>
      channel ? mattermost.rootPosts(channel).filter((p) => p.props.accessbot_request_id === requestId) : [];

    // 1. The root posts (the channel's and the requester's copy) are under way when the host dies.
    mattermost.stallNext(2, (op, body) => op === 'createPost' && !body.root_id, { act });
    host = await spawnHostProcess(spec);
    const request = await alice.createRequest({ roles: ['dba'], reason: `kill mid-post ${act}` });
    await waitFor(() => mattermost.stalledCalls === 2, 20_000, 'both root posts under way');
    await host.kill('SIGKILL');
    mattermost.releaseStalled();
    host = await spawnHostProcess(spec);
    await waitFor(
      () => rootsIn(ops, request.id).length >= 1 && rootsIn(aliceDm(), request.id).length >= 1,
      40_000,
      'the root posts after the restart',
    );
    await pause(4000);
    expect(rootsIn(ops, request.id)).toHaveLength(1);
    expect(rootsIn(aliceDm(), request.id)).toHaveLength(1);
    const root = rootsIn(ops, request.id)[0]!;
    const requesterCopy = rootsIn(aliceDm(), request.id)[0]!;

    // 2. The review's thread reply and the requester's outcome post are under way when it dies.
    mattermost.stallNext(
      2,
      (op, body) => op === 'createPost' && (body.root_id === root.id || body.channel_id === aliceDm()),
      { act },
    );
    const bob = await testApi.clientFor('bob');
    await bob.submitReview(request.id, { proposedState: 'APPROVED', reason: 'fine by me' });
    await waitFor(() => mattermost.stalledCalls === 2, 20_000, 'the reply and the outcome post under way');
    await host.kill('SIGKILL');
    mattermost.releaseStalled();
    host = await spawnHostProcess(spec);
    const outcomes = () =>
      mattermost
        .rootPosts(aliceDm())
        .filter((p) => p.id !== requesterCopy.id && p.message.includes(request.id));
    await waitFor(
      () => mattermost.threadReplies(root.id).length >= 1 && outcomes().length >= 1,
      40_000,
      'the reply and the outcome post after the restart',
    );
    await pause(4000);
    expect(mattermost.threadReplies(root.id).map((p) => p.message)).toEqual([
      '**bob** ✅ approved this request\n> fine by me',
    ]);
    expect(outcomes()).toHaveLength(1);
    expect(outcomes()[0]!.message).toContain('APPROVED');
    await host.kill('SIGTERM');
    host = undefined;
  });
});
