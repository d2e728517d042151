// SIGKILL the host while its posts to Discord are under way, start it again: the request's
// messages (the channel post and the requester's DM copy) and a review's thread message each
// arrive exactly once, whether Discord never acted on the interrupted call or acted and the
// answer died with the host. Where Discord acted, its nonce window is turned off, so only the
// plugin's look-up by delivery key can prevent a second copy.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServiceToken } from '../../src/api/server.js';
import { FakeDiscordInteractions } from '../fakes/discord/interactions.js';
import { FakeDiscord, type FakeDiscordMessage } from '../fakes/discord/server.js';
import { HOST_ROLES, HOST_USERS } from '../host/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import type { HostProcessSpec } from '../support/host-process.js';
import { type HostChild, spawnHostProcess, testRedisOptions, waitFor } from '../support/stack.js';

const POST = 'POST /channels/:id/messages';

let testApi: TestApi;
let fake: FakeDiscord;
let ops: string;
let aliceDm: string;
let host: HostChild | undefined;
const ids: Record<string, string> = {};

beforeAll(async () => {
  fake = await new FakeDiscord().start();
  ops = fake.addChannel('ops');
  for (const name of ['alice', 'bob']) ids[name] = fake.addUser(name).id;
  aliceDm = fake.dmChannelOf(ids.alice!);
  testApi = await startTestApi({
    rolesYaml: HOST_ROLES,
    users: HOST_USERS.map((u) => (ids[u.name] ? { ...u, traits: { discord_id: [ids[u.name]!] } } : u)),
  });
});

afterAll(async () => {
  await host?.kill('SIGKILL');
  await fake?.stop();
  await testApi?.stop();
});

async function hostSpec(): Promise<HostProcessSpec> {
  return {
    apiUrl: testApi.api.url,
    apiToken: await ensureServiceToken(testApi.api.store, 'accessbot-host', ['accessbot-plugin']),
    redisSocket: testRedisOptions().path,
    prefix: `d${randomUUID().slice(0, 8)}`,
    plugins: {
      discord: {
        token: fake.token,
        public_key: new FakeDiscordInteractions(fake).publicKeyHex,
        guild_id: fake.guildId,
        api_url: fake.apiUrl,
        timeout_ms: 60_000,
      },
    },
    routing: [{ roles: ['dba'], targets: { discord: ['#ops'] } }],
    delivery: { backoff: '100ms', max_backoff: '1s', attempts: 30 },
    lockDurationMs: 3000,
    stalledIntervalMs: 1000,
  };
}

const rootsIn = (channel: string, requestId: string): FakeDiscordMessage[] =>
  fake
    .channelMessages(channel)
    .filter((m) => !m.message_reference && JSON.stringify(m.embeds[0]?.footer ?? '').includes(requestId));

describe.each([
  { act: false, case: 'Discord never acted on the interrupted calls' },
  { act: true, case: 'Discord acted and the answers died with the host' },
])('host killed mid-call: $case', ({ act }) => {
  it('the channel post, the DM copy and the thread message each arrive exactly once', {
    timeout: 120_000,
  }, async () => {
    fake.nonceWindowMs = act ? 0 : 5 * 60_000;
    const spec = await hostSpec();
    host = await spawnHostProcess(spec);
    const alice = await testApi.clientFor('alice');

    // 1. Both root posts (the channel and the requester's DM copy) are under way when the host dies.
    fake.stallNext(2, (route, body) => route === POST && Array.isArray(body.embeds), { act });
    const request = await alice.createRequest({ roles: ['dba'], reason: `kill mid-post ${act}` });
    await waitFor(() => fake.stalledCalls === 2, 20_000, 'both posts under way');
    await host.kill('SIGKILL');
    fake.releaseStalled();
    host = await spawnHostProcess(spec);
    await waitFor(
      () => rootsIn(ops, request.id).length >= 1 && rootsIn(aliceDm, request.id).length >= 1,
      40_000,
      'the channel post and the DM copy after the restart',
    );
    const root = rootsIn(ops, request.id)[0]!;

    // 2. The review's thread message is under way when the host dies again.
    fake.stallNext(1, (route, _body, path) => route === POST && path.startsWith(`/channels/${root.id}/`), {
      act,
    });
    const bob = await testApi.clientFor('bob');
    await bob.submitReview(request.id, { proposedState: 'APPROVED', reason: 'fine by me' });
    await waitFor(() => fake.stalledCalls === 1, 20_000, 'the thread message under way');
    await host.kill('SIGKILL');
    fake.releaseStalled();
    host = await spawnHostProcess(spec);
    await waitFor(
      () => fake.threadMessages(root.id).length >= 1,
      40_000,
      'the thread message after the restart',
    );

    // A second copy would come from a retry within a lock period or two: give it the chance.
    await new Promise((r) => setTimeout(r, 4000));
    expect(rootsIn(ops, request.id)).toHaveLength(1);
    expect(rootsIn(aliceDm, request.id)).toHaveLength(1);
    expect(fake.threadMessages(root.id).map((m) => m.content.split('\n')[0])).toEqual([
      '**bob** ✅ approved this request',
    ]);
    await waitFor(
      () => String(rootsIn(ops, request.id)[0]!.embeds[0]!.title).includes('APPROVED'),
      20_000,
      'APPROVED',
    );
    await host.kill('SIGTERM');
    host = undefined;
  });
});
