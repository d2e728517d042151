// POST /hooks/jira: the Jira admin webhook. The HMAC is checked on the raw bytes before
// anything is parsed; a delivery is handled once per key derived from the signed body (event,
// issue, changelog entry, timestamp: see delivery-key.ts), never per the unsigned
// X-Atlassian-Webhook-Identifier header; one whose signed timestamp is outside the replay
// window is refused. A failure releases the key and answers 5xx so Jira's own retry can try again.

import {
  errorResponse,
  hmacSha256Hex,
  type InboundRoute,
  jsonResponse,
  safeEqual,
  withinReplayWindow,
} from '../../src/plugin-sdk/index.js';
import { deliveryKey, type SignedDeliveryFields, signedAtMs } from './delivery-key.js';
import { handleStatusChange, type StatusChangeDeps } from './status-change.js';

/**
 * How far Jira's signed timestamp may be from now. Jira Cloud retries a failed delivery within
 * hours; a delivery older than this is a replay, not a retry.
 */
export const REPLAY_WINDOW_SECONDS = 2 * 24 * 3600;
/** How long a handled delivery's key is kept: longer than the window, so a replay always meets it. */
const DEDUPE_SECONDS = 7 * 24 * 3600;

interface IssueUpdatedPayload extends SignedDeliveryFields {
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

      const signedAt = signedAtMs(payload);
      if (signedAt !== undefined && !withinReplayWindow(signedAt / 1000, REPLAY_WINDOW_SECONDS))
        return errorResponse('STALE_REQUEST', "the delivery's timestamp is outside the replay window");
      const dedupeKey = `hook:${deliveryKey(payload, req.rawBody)}`;
      if (!(await kv.setIfAbsent(dedupeKey, '1', DEDUPE_SECONDS)))
        return jsonResponse(200, { ignored: 'duplicate delivery' });

      const statusChanged = payload.changelog?.items?.some((i) => i?.field === 'status') ?? false;
      const issueRef = typeof payload.issue?.id === 'string' ? payload.issue.id : payload.issue?.key;
      if (payload.webhookEvent !== 'jira:issue_updated' || !statusChanged || typeof issueRef !== 'string')
        return jsonResponse(200, { ignored: 'not a status change' });
      const changelogId = payload.changelog?.id;
      try {
        // The host acts on the move only inside the window of the signed timestamp.
        const inWindow: StatusChangeDeps =
          signedAt === undefined
            ? deps
            : {
                ...deps,
                decide: (decision) =>
                  deps.decide({ ...decision, notAfter: signedAt + REPLAY_WINDOW_SECONDS * 1000 }),
              };
        const result = await handleStatusChange(
          inWindow,
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
