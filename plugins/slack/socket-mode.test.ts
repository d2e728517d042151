// Socket Mode: the plugin opens the socket with its app-level token through Bolt's
// SocketModeReceiver, and a click + modal submission pushed over the socket becomes a
// decision exactly as over HTTP, each envelope acknowledged.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstTry } from '../../test/fakes/plugin-context.js';
import { clickPayload, submitPayload } from '../../test/fakes/slack/interactions.js';
import { FakeSlack } from '../../test/fakes/slack/server.js';
import { FakeSocketMode } from '../../test/fakes/slack/socket-mode.js';
import plugin, { type SlackPluginInstance } from './index.js';
import { testCard, testContext } from './test-context.js';

let fake: FakeSlack;
let socket: FakeSocketMode;
let ops: string;

async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  fake = await new FakeSlack().start();
  socket = new FakeSocketMode(fake);
  ops = fake.addChannel('ops');
  fake.addUser({ id: 'UALICE', name: 'alice', email: 'alice@example.com' });
});
afterAll(async () => {
  socket.closeAll();
  await fake.stop();
});

describe('socket mode', () => {
  it('needs no public route and turns pushed interactions into decisions', async () => {
    const config = plugin.configSchema.parse({
      token: fake.botToken,
      interactions: 'socket',
      app_token: fake.appToken,
      api_url: fake.apiUrl,
      review_reason: 'required',
    });
    const t = testContext(config);
    const slack = (await plugin.create(t.ctx)) as SlackPluginInstance;
    try {
      expect(slack.routes!()).toEqual([]);
      await until(() => socket.connections === 1, 'socket connection');
      expect(fake.callsTo('apps.connections.open', { okOnly: true })).toHaveLength(1);

      const card = testCard();
      t.cards.set(card.requestId, card);
      const ref = await slack.deliver({ id: ops, kind: 'channel', audience: 'reviewer' }, card, firstTry());
      const message = fake.rootMessages(ops).find((m) => m.ts === ref.ts)!;

      const clickAck = await socket.sendInteractive(
        clickPayload(fake, message, 'UALICE', 'accessbot_approve'),
      );
      expect(clickAck.envelope_id).toEqual(expect.any(String));
      await slack.idle();
      const opened = fake.views.at(-1)!;
      expect(opened.user).toBe('UALICE');

      const blank = await socket.sendInteractive(submitPayload(fake, opened, ''));
      expect(blank.payload).toEqual({
        response_action: 'errors',
        errors: { reason: 'Please give a reason.' },
      });
      expect(t.decisions).toHaveLength(0);

      await socket.sendInteractive(submitPayload(fake, opened, 'approved over the socket'));
      await slack.idle();
      expect(t.decisions).toEqual([
        expect.objectContaining({
          requestId: card.requestId,
          action: 'approve',
          reason: 'approved over the socket',
          person: { email: 'alice@example.com' },
        }),
      ]);
      expect(fake.ephemerals.at(-1)).toEqual({
        channel: ops,
        user: 'UALICE',
        text: '✅ Your review was recorded.',
      });
    } finally {
      await slack.close!();
    }
    await until(() => socket.connections === 0, 'socket closed');
  });
});
