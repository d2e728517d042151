// What Slack sends to an app's Interactivity Request URL, built from what the fake holds:
// a click on a button of a posted message (block_actions) and a modal submission
// (view_submission), form-encoded as `payload=<json>` and signed the way Slack signs them.

import { createHmac } from 'node:crypto';
import type { FakeSlack, FakeSlackMessage, OpenedView } from './server.js';

type Json = Record<string, unknown>;

/** `X-Slack-Signature` for a body at a timestamp: `v0=` + HMAC-SHA256 of `v0:{ts}:{body}`. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export interface SignedInteraction {
  headers: Record<string, string>;
  body: string;
}

/** Encodes and signs an interaction payload as Slack does. `timestampSeconds` defaults to now. */
export function signInteraction(
  signingSecret: string,
  payload: Json,
  opts: { timestampSeconds?: number } = {},
): SignedInteraction {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = String(opts.timestampSeconds ?? Math.floor(Date.now() / 1000));
  return {
    body,
    headers: {
      // Slack sends the bare type, without a charset.
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(signingSecret, timestamp, body),
    },
  };
}

/** POSTs a signed interaction to the app's request URL, as Slack would. */
export async function postInteraction(url: string, signed: SignedInteraction): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { ...signed.headers, 'user-agent': 'Slackbot 1.0' },
    body: signed.body,
  });
}

function buttonsOf(message: FakeSlackMessage): Json[] {
  return message.blocks
    .filter((b) => b.type === 'actions')
    .flatMap((b) => ((b.elements as Json[]) ?? []).map((e) => ({ ...e, block_id: b.block_id })));
}

/** Action IDs of the buttons a person sees on a message right now. */
export function buttonActionIds(message: FakeSlackMessage): string[] {
  return buttonsOf(message).map((b) => String(b.action_id));
}

/** The block_actions payload Slack sends when `userId` clicks the button `actionId` on `message`. */
export function clickPayload(
  fake: FakeSlack,
  message: FakeSlackMessage,
  userId: string,
  actionId: string,
): Json {
  const button = buttonsOf(message).find((b) => b.action_id === actionId);
  if (!button)
    throw new Error(
      `no button ${actionId} on message ${message.ts}; has ${buttonActionIds(message).join(',')}`,
    );
  const user = fake.users.get(userId);
  return {
    type: 'block_actions',
    user: { id: userId, username: user?.name ?? userId, name: user?.name ?? userId, team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    trigger_id: fake.issueTrigger(userId),
    team: { id: 'T0001', domain: 'fake' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: message.channel, name: message.channel },
    message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks },
    state: { values: {} },
    response_url: `https://hooks.slack.com/actions/T0001/${message.ts}/fake`,
    actions: [
      {
        type: 'button',
        action_id: button.action_id,
        block_id: button.block_id,
        text: button.text,
        value: button.value,
        ...(button.style ? { style: button.style } : {}),
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
}

/** The view_submission payload Slack sends when the person submits `opened` with `reason` typed in. */
export function submitPayload(fake: FakeSlack, opened: OpenedView, reason: string | null): Json {
  const user = fake.users.get(opened.user);
  const values: Record<string, Record<string, Json>> = {};
  for (const block of (opened.view.blocks as Json[]) ?? []) {
    if (block.type !== 'input') continue;
    const element = block.element as Json;
    values[String(block.block_id)] = {
      [String(element.action_id)]: { type: element.type, value: reason },
    };
  }
  return {
    type: 'view_submission',
    team: { id: 'T0001', domain: 'fake' },
    user: {
      id: opened.user,
      username: user?.name ?? opened.user,
      name: user?.name ?? opened.user,
      team_id: 'T0001',
    },
    api_app_id: 'A0001',
    token: 'legacy-verification-token',
    trigger_id: fake.issueTrigger(opened.user),
    view: {
      ...opened.view,
      id: opened.id,
      team_id: 'T0001',
      state: { values },
      hash: `${Date.now()}.fake`,
      root_view_id: opened.id,
      app_id: 'A0001',
      bot_id: 'BBOT',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}
