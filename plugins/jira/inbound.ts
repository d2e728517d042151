// POST /hooks/jira: the Jira admin webhook. The HMAC is checked on the raw bytes before
// anything is parsed; a delivery is handled once per X-Atlassian-Webhook-Identifier (Jira
// signs no timestamp, so the identifier is the only replay guard); a failure releases the
// identifier and answers 5xx so Jira's own retry can try again.

import { createHash } from 'node:crypto';
import {
  errorResponse,
  hmacSha256Hex,
  type InboundRoute,
  jsonResponse,
  safeEqual,
} from '../../src/plugin-sdk/index.js';
import { handleStatusChange, type StatusChangeDeps } from './status-change.js';

const DEDUPE_SECONDS = 7 * 24 * 3600;

interface IssueUpdatedPayload {
  webhookEvent?: unknown;
  issue?: { id?: unknown; key?: unknown };
  changelog?: { id?: unknown; items?: { field?: unknown }[] };
}

export function signatureValid(secret: string, header: string | undefined, rawBody: Buffer): boolean {
  if (!header) return false;
  return safeEqual(header.trim().toLowerCase(), `sha256=${hmacSha256Hex(secret, rawBody)}`);
}

export function jiraWebhookRoute(deps: StatusChangeDeps): InboundRoute {
  const { config, kv, log } = deps;
  return {
    method: 'POST',
    path: '/',
    async handler(req) {
      if (config.webhook_secret !== undefined) {
        if (!signatureValid(config.webhook_secret, req.headers['x-hub-signature'], req.rawBody))
          return errorResponse('INVALID_SIGNATURE', 'missing or invalid X-Hub-Signature');
      } else if (!config.allow_unsigned_webhooks) {
        return errorResponse('INVALID_SIGNATURE', 'webhooks are refused: no webhook_secret is configured');
      }
      let payload: IssueUpdatedPayload;
      try {
        payload = JSON.parse(req.rawBody.toString('utf8')) as IssueUpdatedPayload;
      } catch {
        return errorResponse('BAD_REQUEST', 'the body is not JSON');
      }
      if (payload === null || typeof payload !== 'object')
        return errorResponse('BAD_REQUEST', 'the body is not an object');

      const identifier =
        req.headers['x-atlassian-webhook-identifier'] ??
        `body-${createHash('sha256').update(req.rawBody).digest('hex')}`;
      const dedupeKey = `hook:${identifier}`;
      if (!(await kv.setIfAbsent(dedupeKey, '1', DEDUPE_SECONDS)))
        return jsonResponse(200, { ignored: 'duplicate delivery' });

      const statusChanged = payload.changelog?.items?.some((i) => i?.field === 'status') ?? false;
      const issueRef = typeof payload.issue?.id === 'string' ? payload.issue.id : payload.issue?.key;
      if (payload.webhookEvent !== 'jira:issue_updated' || !statusChanged || typeof issueRef !== 'string')
        return jsonResponse(200, { ignored: 'not a status change' });
      const changelogId = payload.changelog?.id;
      try {
        const result = await handleStatusChange(
          deps,
          issueRef,
          typeof changelogId === 'string' || typeof changelogId === 'number'
            ? String(changelogId)
            : undefined,
        );
        return jsonResponse(200, result);
      } catch (err) {
        await kv.delete(dedupeKey);
        log.error(
          { error: (err as Error).message, issue: issueRef },
          'jira webhook could not be handled; Jira will retry',
        );
        return errorResponse('API_UNAVAILABLE', 'could not handle the webhook now; retry later');
      }
    },
  };
}
