// Webhooks as Jira Cloud sends them: `jira:issue_updated` with a changelog, signed with
// `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, rawBody)>` and identified by
// `X-Atlassian-Webhook-Identifier` (the same on every retry of one delivery).

import { createHmac, randomUUID } from 'node:crypto';
import { statusJson, userJson } from './json.js';
import type { FakeHistory, FakeIssue, FakeJiraModel } from './model.js';

export interface SignedWebhook {
  headers: Record<string, string>;
  rawBody: Buffer;
}

export function signJiraWebhook(secret: string, rawBody: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

export function issueUpdatedPayload(
  base: string,
  model: FakeJiraModel,
  issue: FakeIssue,
  history: FakeHistory,
) {
  const project = model.projects.get(issue.projectKey)!;
  return {
    timestamp: Date.parse(history.created.replace('+0000', 'Z')),
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_generic',
    user: userJson(base, model.users.get(history.authorId), history.authorId),
    issue: {
      id: issue.id,
      self: `${base}/rest/api/2/issue/${issue.id}`,
      key: issue.key,
      fields: {
        summary: issue.summary,
        labels: issue.labels,
        status: statusJson(base, issue.status),
        project: { id: project.id, key: project.key, name: project.name },
      },
    },
    changelog: {
      id: history.id,
      items: history.items.map((i) => ({ ...i, fieldtype: 'jira', fieldId: i.field })),
    },
  };
}

/** Serialises and signs a payload the way Jira does; `secret: null` sends it unsigned. */
export function buildWebhook(
  payload: unknown,
  secret: string | null,
  identifier: string = randomUUID(),
): SignedWebhook {
  const rawBody = Buffer.from(JSON.stringify(payload), 'utf8');
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'Atlassian Webhook HTTP Client',
    'x-atlassian-webhook-identifier': identifier,
  };
  if (secret !== null) headers['x-hub-signature'] = signJiraWebhook(secret, rawBody);
  return { headers, rawBody };
}

/** POSTs a webhook to `url` and returns the HTTP status and body text. */
export async function sendWebhook(
  url: string,
  hook: SignedWebhook,
): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: hook.headers,
    body: hook.rawBody,
    // Jira gives up on a slow receiver too; a hung test host must not hang the fake.
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: await res.text() };
}
