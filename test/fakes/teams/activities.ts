// Inbound activities as Teams sends them to a bot's messaging endpoint: a signed POST with the
// Bot Framework token in `Authorization`. Card clicks (Action.Execute invokes), installs.

import { randomUUID } from 'node:crypto';
import type { FakeTeams, FakeTeamsMessage, FakeTeamsUser } from './server.js';

type Json = Record<string, unknown>;

export interface PostedActivity {
  status: number;
  body: Json;
  text: string;
}

export async function postActivity(
  url: string,
  activity: Json,
  token: string | undefined,
): Promise<PostedActivity> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(activity),
  });
  const text = await res.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body, text };
}

function base(fake: FakeTeams, conversationId: string, from: FakeTeamsUser): Json {
  const inChannel = fake.channels.some((c) => c.id === conversationId.split(';')[0]);
  return {
    id: randomUUID(),
    channelId: 'msteams',
    serviceUrl: fake.serviceUrl,
    timestamp: new Date().toISOString(),
    from: { id: from.id, name: from.name, aadObjectId: from.aadObjectId },
    recipient: { id: `28:${fake.appId}`, name: 'accessbot' },
    conversation: {
      id: conversationId,
      conversationType: inChannel ? 'channel' : 'personal',
      tenantId: fake.tenantId,
      ...(inChannel ? { isGroup: true } : {}),
    },
    channelData: {
      tenant: { id: fake.tenantId },
      ...(inChannel
        ? { team: { id: fake.team.id, name: fake.team.name }, channel: { id: conversationId.split(';')[0] } }
        : {}),
    },
  };
}

/** The Action.Execute invoke Teams sends when `user` presses a button of `message`'s card. */
export function cardInvoke(
  fake: FakeTeams,
  message: FakeTeamsMessage,
  user: FakeTeamsUser,
  verb: string,
  reason: string,
): Json {
  const action = ((message.attachments[0]?.content.actions as Json[] | undefined) ?? []).find(
    (a) => a.verb === verb,
  );
  return {
    ...base(fake, message.conversationId, user),
    type: 'invoke',
    name: 'adaptiveCard/action',
    replyToId: message.id,
    value: {
      action: { type: 'Action.Execute', verb, data: { ...((action?.data as Json) ?? {}), reason } },
      trigger: 'manual',
    },
  };
}

/** The installationUpdate Teams sends when the app is added to the team (or to `user`'s personal scope). */
export function installation(fake: FakeTeams, user: FakeTeamsUser, personalChat?: string): Json {
  return {
    ...base(fake, personalChat ?? fake.team.id, user),
    type: 'installationUpdate',
    action: 'add',
  };
}

/** Every visible text of a card: TextBlocks, facts, input labels. */
export function cardText(content: Json | undefined): string {
  if (!content) return '';
  const parts: string[] = [];
  for (const element of (content.body as Json[] | undefined) ?? []) {
    if (typeof element.text === 'string') parts.push(element.text);
    for (const fact of (element.facts as Json[] | undefined) ?? [])
      parts.push(`${fact.title}: ${fact.value}`);
    if (typeof element.label === 'string') parts.push(element.label);
  }
  return parts.join('\n');
}
