// Clicks and modal submissions through the plugin's inbound route, signed exactly as Slack
// signs them, with the real Web API client talking to the fake Slack: what reaches the host's
// `decide`, and what the clicker sees.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundRequest, InboundResponse, Target } from '../../src/plugin-sdk/index.js';
import { firstTry } from '../../test/fakes/plugin-context.js';
import {
  clickPayload,
  type SignedInteraction,
  signInteraction,
  submitPayload,
} from '../../test/fakes/slack/interactions.js';
import { FakeSlack, type FakeSlackMessage } from '../../test/fakes/slack/server.js';
import plugin, { type SlackPluginInstance } from './index.js';
import { type TestContext, testCard, testContext } from './test-context.js';

const SECRET = 'signing-secret-for-tests';
let fake: FakeSlack;
let ops: string;
const channel: Target = { id: '#ops', kind: 'channel', audience: 'reviewer' };

beforeAll(async () => {
  fake = await new FakeSlack().start();
  ops = fake.addChannel('ops');
  fake.addUser({ id: 'UALICE', name: 'alice', email: 'alice@example.com' });
  fake.addUser({ id: 'UNOMAIL', name: 'ghost' });
});
afterAll(async () => {
  await fake.stop();
});

interface Rig {
  slack: SlackPluginInstance;
  t: TestContext<ReturnType<typeof plugin.configSchema.parse>>;
  post(signed: SignedInteraction): Promise<InboundResponse>;
}

async function rig(over: Record<string, unknown> = {}): Promise<Rig> {
  const config = plugin.configSchema.parse({
    token: fake.botToken,
    signing_secret: SECRET,
    api_url: fake.apiUrl,
    ...over,
  });
  const t = testContext(config);
  const slack = (await plugin.create(t.ctx)) as SlackPluginInstance;
  const route = slack.routes!().find((r) => r.path === '/interactions')!;
  const post = (signed: SignedInteraction) => {
    const req: InboundRequest = {
      method: 'POST',
      path: '/interactions',
      headers: signed.headers,
      rawBody: Buffer.from(signed.body),
      query: {},
    };
    return route.handler(req);
  };
  return { slack, t, post };
}

async function postedRequest(r: Rig): Promise<{ message: FakeSlackMessage; requestId: string }> {
  const card = testCard();
  r.t.cards.set(card.requestId, card);
  const ref = await r.slack.deliver(channel, card, firstTry());
  return { message: fake.rootMessages(ops).find((m) => m.ts === ref.ts)!, requestId: card.requestId };
}

/** Clicks, waits for the modal, submits it with `reason`; returns the submission's response. */
async function clickAndSubmit(
  r: Rig,
  message: FakeSlackMessage,
  user: string,
  action: string,
  reason: string | null,
) {
  const viewsBefore = fake.views.length;
  const click = await r.post(signInteraction(SECRET, clickPayload(fake, message, user, action)));
  expect(click.status).toBe(200);
  await r.slack.idle();
  expect(fake.views.length).toBe(viewsBefore + 1);
  const opened = fake.views.at(-1)!;
  const res = await r.post(signInteraction(SECRET, submitPayload(fake, opened, reason)));
  await r.slack.idle();
  return res;
}

const ephemeralsFor = (user: string) => fake.ephemerals.filter((e) => e.user === user).map((e) => e.text);

describe('approve and deny from a message', () => {
  it('a click opens a reason modal; submitting it hands the decision to the host as the clicker', async () => {
    const r = await rig();
    const { message, requestId } = await postedRequest(r);
    const before = ephemeralsFor('UALICE').length;
    const res = await clickAndSubmit(r, message, 'UALICE', 'accessbot_approve', 'on call, <!here> ok');
    expect(res.status).toBe(200);
    const opened = fake.views.at(-1)!;
    expect(opened.view.callback_id).toBe('accessbot_review');
    expect(JSON.stringify(opened.view.blocks)).toContain('"optional":true');
    expect(r.t.decisions).toEqual([
      {
        requestId,
        action: 'approve',
        reason: 'on call, <!here> ok',
        person: { email: 'alice@example.com' },
        personLabel: '@alice',
      },
    ]);
    expect(ephemeralsFor('UALICE').slice(before)).toEqual(['✅ Your review was recorded.']);
    expect(fake.ephemerals.at(-1)!.channel).toBe(ops);
  });

  it('maps the clicker by the slack_uid trait when configured', async () => {
    const r = await rig({ user_mapping: { by: 'trait' } });
    const { message } = await postedRequest(r);
    await clickAndSubmit(r, message, 'UALICE', 'accessbot_deny', '');
    expect(r.t.decisions).toHaveLength(1);
    expect(r.t.decisions[0]).toMatchObject({
      action: 'deny',
      person: { trait: 'slack_uid', value: 'UALICE' },
    });
    expect(r.t.decisions[0]!.reason).toBeUndefined();
  });

  it('a required reason keeps the modal open with an error when blank', async () => {
    const r = await rig({ review_reason: 'required' });
    const { message } = await postedRequest(r);
    const res = await clickAndSubmit(r, message, 'UALICE', 'accessbot_approve', '   ');
    expect(res.body).toEqual({ response_action: 'errors', errors: { reason: 'Please give a reason.' } });
    expect(r.t.decisions).toHaveLength(0);
  });

  it('every refusal from the host reaches the clicker as an ephemeral message', async () => {
    const r = await rig();
    const answers = [
      { kind: 'already_reviewed', message: 'You have already reviewed this request.' },
      { kind: 'not_allowed', message: 'You are not allowed to review this request.' },
      { kind: 'own_request', message: 'You cannot review your own request.' },
      { kind: 'resolved', message: 'This request is already resolved.' },
    ] as const;
    for (const answer of answers) {
      const { message } = await postedRequest(r);
      r.t.nextOutcome = () => answer;
      const before = ephemeralsFor('UALICE').length;
      await clickAndSubmit(r, message, 'UALICE', 'accessbot_approve', 'x');
      expect(ephemeralsFor('UALICE').slice(before)).toEqual([`⚠️ ${answer.message}`]);
    }
  });

  it('a Slack user without a matching email is refused without a decision', async () => {
    const r = await rig();
    const { message } = await postedRequest(r);
    await clickAndSubmit(r, message, 'UNOMAIL', 'accessbot_approve', 'x');
    expect(r.t.decisions).toHaveLength(0);
    expect(ephemeralsFor('UNOMAIL').at(-1)).toMatch(/^⚠️ Your Slack account is not linked/);
  });

  it('a click on an already resolved request answers at once, without a modal', async () => {
    const r = await rig();
    const { message, requestId } = await postedRequest(r);
    r.t.cards.set(requestId, testCard({ id: requestId, state: 'APPROVED' }));
    const views = fake.views.length;
    await r.post(signInteraction(SECRET, clickPayload(fake, message, 'UALICE', 'accessbot_deny')));
    await r.slack.idle();
    expect(fake.views.length).toBe(views);
    expect(ephemeralsFor('UALICE').at(-1)).toBe('⚠️ This request is already ✅ APPROVED; nothing to review.');
  });

  it('the same submission delivered twice is decided once', async () => {
    const r = await rig();
    const { message } = await postedRequest(r);
    await r.post(signInteraction(SECRET, clickPayload(fake, message, 'UALICE', 'accessbot_approve')));
    await r.slack.idle();
    const payload = submitPayload(fake, fake.views.at(-1)!, 'once');
    await r.post(signInteraction(SECRET, payload));
    // Same payload, freshly signed (a second delivery), and the byte-identical replay.
    const again = signInteraction(SECRET, payload);
    await r.post(again);
    await r.post(again);
    await r.slack.idle();
    expect(r.t.decisions).toHaveLength(1);
  });
});

describe("answers within Slack's 3 seconds whatever happens downstream", () => {
  it('acknowledges a click before Slack opens the modal and a submission before the host decides', async () => {
    const r = await rig();
    const { message, requestId } = await postedRequest(r);
    // A slow Slack: the modal cannot open before the click has been answered.
    fake.latencyMs = 1500;
    const viewsBefore = fake.views.length;
    try {
      const click = await r.post(
        signInteraction(SECRET, clickPayload(fake, message, 'UALICE', 'accessbot_approve')),
      );
      expect(click.status).toBe(200);
      expect(fake.views.length).toBe(viewsBefore);
      await r.slack.idle();
    } finally {
      fake.latencyMs = 0;
    }
    expect(fake.views.length).toBe(viewsBefore + 1);

    // A host that takes its time: the submission is answered while the decision is still open.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let decided = false;
    const original = r.t.ctx.decide;
    r.t.ctx.decide = async (d) => {
      await gate;
      decided = true;
      return original(d);
    };
    const res = await r.post(signInteraction(SECRET, submitPayload(fake, fake.views.at(-1)!, 'slow host')));
    expect(res.status).toBe(200);
    expect(decided).toBe(false);
    release();
    await r.slack.idle();
    expect(decided).toBe(true);
    expect(r.t.decisions.map((d) => d.requestId)).toEqual([requestId]);
    expect(ephemeralsFor('UALICE').at(-1)).toBe('✅ Your review was recorded.');
  });

  it('tells the clicker when the host fails, instead of leaving them guessing', async () => {
    const r = await rig();
    const { message } = await postedRequest(r);
    r.t.ctx.decide = async () => {
      throw new Error('API down');
    };
    await clickAndSubmit(r, message, 'UALICE', 'accessbot_deny', 'x');
    expect(ephemeralsFor('UALICE').at(-1)).toMatch(/^⚠️ Something went wrong/);
  });
});

describe('refused before anything is parsed', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('forged signature, stale and future timestamps, missing headers → 401, no decision', async () => {
    const r = await rig();
    const { message } = await postedRequest(r);
    const views = fake.views.length;
    const payload = clickPayload(fake, message, 'UALICE', 'accessbot_approve');
    const cases: [SignedInteraction, string][] = [
      [signInteraction('wrong-secret', payload), 'INVALID_SIGNATURE'],
      [signInteraction(SECRET, payload, { timestampSeconds: now() - 301 }), 'STALE_REQUEST'],
      [signInteraction(SECRET, payload, { timestampSeconds: now() + 301 }), 'STALE_REQUEST'],
    ];
    const tampered = signInteraction(SECRET, payload);
    cases.push([
      { ...tampered, body: tampered.body.replace('accessbot_approve', 'accessbot_deny') },
      'INVALID_SIGNATURE',
    ]);
    const unsigned = signInteraction(SECRET, payload);
    cases.push([
      { body: unsigned.body, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      'INVALID_SIGNATURE',
    ]);
    for (const [signed, code] of cases) {
      const res = await r.post(signed);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code } });
    }
    await r.slack.idle();
    expect(fake.views.length).toBe(views);
    expect(r.t.decisions).toHaveLength(0);
    // Refusals are logged, without the secret or the token.
    expect(r.t.logs.some((l) => l.level === 'warn')).toBe(true);
    const logged = JSON.stringify(r.t.logs);
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(fake.botToken);
  });

  it('a signed but malformed body → 400 BAD_REQUEST', async () => {
    const r = await rig();
    const good = signInteraction(SECRET, {});
    const body = 'payload=%7Bnot-json';
    const { slackSignature } = await import('../../test/fakes/slack/interactions.js');
    const ts = good.headers['x-slack-request-timestamp']!;
    const res = await r.post({
      body,
      headers: { ...good.headers, 'x-slack-signature': slackSignature(SECRET, ts, body) },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });
});
