// The whole host on a Teleport cluster (the fake auth service over mTLS), with the webhook
// plugin and its receiver: the watch dropped in the middle of a burst and back loses and
// duplicates no message; a role's request annotation routes a request as with our API.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { type AccessWorld, startWorld } from '../conformance/access-world.js';
import type { PlatformFake } from '../conformance/adapter.js';
import { webhookAdapter } from '../conformance/webhook-adapter.js';
import { PEOPLE, platformUsers, QUICK_ROLE } from '../conformance/world.js';
import { waitFor } from '../support/stack.js';

describe('plugin host on a Teleport cluster', () => {
  let fake: PlatformFake;
  let world: AccessWorld;

  beforeAll(async () => {
    fake = await webhookAdapter.startFake(platformUsers());
    world = await startWorld('teleport', {
      fake,
      pluginId: 'webhook',
      definition: webhookAdapter.definition as PluginDefinition,
      routing: [{ roles: ['*'], targets: { webhook: fake.reviewerRecipients } }],
      delivery: { backoff: '50ms', max_backoff: '1s', attempts: 30 },
    });
  });
  afterAll(async () => {
    await world?.stop();
    await fake?.stop();
  });

  it('the watch cut mid-burst and back: every request posted once per target, in its newest state', {
    timeout: 60_000,
  }, async () => {
    const auth = world.teleport!.auth;
    const targets = fake.reviewerRecipients.length;
    await waitFor(() => auth.openWatches > 0, 10_000, 'the host watching');
    const opened = auth.watchesOpened;
    auth.dropWatchesAfter(12);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      ids.push((await world.createRequest(PEOPLE.requester, QUICK_ROLE, `burst ${i}`)).id);
    }
    // Decided while the watch is away: their messages must still end APPROVED.
    const decided = [ids[1]!, ids[20]!, ids[39]!];
    for (const id of decided) await world.review(PEOPLE.reviewers[0], id, 'APPROVED', 'while away');
    await waitFor(() => auth.watchesOpened > opened, 15_000, 'the watch to come back');
    let missing: string[] = [];
    await waitFor(
      async () => {
        missing = [];
        for (const [i, id] of ids.entries()) {
          const shown = await fake.messages(id);
          const want = decided.includes(id) ? 'APPROVED' : 'PENDING';
          if (shown.length < targets || shown.some((m) => m.status !== want))
            missing.push(`${i}:${shown.map((m) => m.status).join('/') || 'none'}`);
        }
        return missing.length === 0;
      },
      30_000,
      'every request posted, in its newest state',
    ).catch((err) => {
      throw new Error(`${(err as Error).message}; not yet: ${missing.join(' ')}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 800));
    for (const id of ids) {
      const shown = await fake.messages(id);
      expect(shown, `one message per target for ${id}`).toHaveLength(targets);
      expect(new Set(shown.map((m) => m.target)).size).toBe(targets);
    }
  });

  it("a role's request annotation (accessbot/notify-webhook) routes the request there too", async () => {
    const extra = fake.reviewerRecipients[0]!.replace(/\/[^/]+$/, '/extra');
    const id = world.teleport!.auth.createRequest({
      user: PEOPLE.requester,
      roles: [QUICK_ROLE],
      reason: 'annotated',
      annotations: { 'accessbot/notify-webhook': [extra] },
    });
    const shown = await waitFor(
      async () => {
        const m = await fake.messages(id);
        return m.length >= fake.reviewerRecipients.length + 1 ? m : undefined;
      },
      15_000,
      'the messages of the annotated request',
    );
    expect(shown.map((m) => m.target).sort()).toEqual(['/extra', '/ops', '/security']);
  });
});
