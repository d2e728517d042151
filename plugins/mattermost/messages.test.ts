// Posting when an earlier try may have landed, against the fake Mattermost server: the post is
// found by its delivery id instead of posted twice, and a lookup that fails for a passing reason
// posts nothing (the retry comes later).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccessRequest, cardFromRequest, PluginError, type Target } from '../../src/plugin-sdk/index.js';
import { FakeMattermost } from '../../test/fakes/mattermost/server.js';
import { MemoryKv } from '../../test/fakes/plugin-context.js';
import { MattermostClient } from './client.js';
import { MattermostMessages } from './messages.js';

let fake: FakeMattermost;
let messages: MattermostMessages;
let target: Target;

beforeAll(async () => {
  fake = await new FakeMattermost().start();
  target = { id: fake.addChannel('acme', 'ops'), kind: 'channel', audience: 'reviewer' };
  messages = new MattermostMessages(new MattermostClient(fake.url, fake.token, 5000), new MemoryKv(), {
    reasonMaxLength: 500,
    buttons: false,
  });
});
afterAll(() => fake.stop());

let counter = 0;
function card(reason: string) {
  counter += 1;
  const now = Date.now();
  const request: AccessRequest = {
    id: `00000000-0000-4000-9000-${String(counter).padStart(12, '0')}`,
    user: 'bob',
    roles: ['dba'],
    resources: [],
    reason,
    suggestedReviewers: [],
    annotations: {},
    thresholds: [{ approve: 1, deny: 1 }],
    roleThresholds: { dba: [0] },
    state: 'PENDING',
    reviews: [],
    created: new Date(now).toISOString(),
    requestExpires: new Date(now + 3600_000).toISOString(),
    accessExpires: new Date(now + 8 * 3600_000).toISOString(),
    approvedRoles: [],
    version: 1,
  };
  return cardFromRequest(request, { audience: 'reviewer' });
}

describe('root posts on a retry', () => {
  it('a post an earlier try made is found by its delivery id, edited, and not posted again', async () => {
    const first = card('first try');
    const ref = await messages.post(target, first, {
      deliveryId: 'post.a',
      attempt: 1,
      mayHaveBeenSent: false,
    });
    const newer = { ...first, reason: 'edited on the retry' };
    const again = await messages.post(target, newer, {
      deliveryId: 'post.a',
      attempt: 2,
      mayHaveBeenSent: true,
    });
    expect(again).toEqual(ref);
    const posts = fake.rootPosts(target.id).filter((p) => p.props.accessbot_delivery_id === 'post.a');
    expect(posts).toHaveLength(1);
    expect(JSON.stringify(posts[0]!.props)).toContain('edited on the retry');
    // The edit keeps the delivery id, so a later retry still finds it.
    expect(posts[0]!.props.accessbot_delivery_id).toBe('post.a');
  });

  it('without the host saying so, a retry posts (no lookup on a first try)', async () => {
    const lookups = fake.callsTo('getPosts').length;
    await messages.post(target, card('fresh'), { deliveryId: 'post.b', attempt: 1, mayHaveBeenSent: false });
    expect(fake.callsTo('getPosts').length).toBe(lookups);
  });

  it('a lookup that fails with a 5xx posts nothing and says to retry', async () => {
    const before = fake.rootPosts(target.id).length;
    fake.failNext(1, { ops: ['getPosts'] });
    const err = await messages
      .post(target, card('outage'), { deliveryId: 'post.c', attempt: 2, mayHaveBeenSent: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).kind).toBe('transient');
    expect(fake.rootPosts(target.id)).toHaveLength(before);
  });
});
