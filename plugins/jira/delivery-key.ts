// What makes a Jira webhook delivery "the same one again". Jira signs the body only: the
// X-Atlassian-Webhook-Identifier header is unsigned, so anyone holding a captured delivery can
// send it again under a fresh identifier. The key therefore comes from the signed body: the
// event, the issue, the changelog entry and Jira's timestamp name one change, whatever header
// travels with it (and Jira's own retries of a delivery carry the same body).

import { createHash } from 'node:crypto';

export interface SignedDeliveryFields {
  webhookEvent?: unknown;
  timestamp?: unknown;
  issue?: { id?: unknown; key?: unknown };
  changelog?: { id?: unknown };
}

const scalar = (v: unknown): string | undefined =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) ? String(v) : undefined;

/** The de-duplication key of a verified delivery (a hash, so its length is fixed). */
export function deliveryKey(payload: SignedDeliveryFields, rawBody: Buffer): string {
  const fields = [
    scalar(payload.webhookEvent),
    scalar(payload.issue?.id) ?? scalar(payload.issue?.key),
    scalar(payload.changelog?.id),
    scalar(payload.timestamp),
  ];
  // Without an event and an issue the fields name nothing in particular: the bytes do.
  const named = fields[0] !== undefined && fields[1] !== undefined;
  const hash = createHash('sha256');
  if (named) hash.update(JSON.stringify(fields));
  else hash.update(rawBody);
  return `${named ? 'event' : 'body'}:${hash.digest('hex')}`;
}

/** Jira's signed `timestamp` (ms since the epoch) of the delivery, if it carries one. */
export function signedAtMs(payload: SignedDeliveryFields): number | undefined {
  const ts = payload.timestamp;
  return typeof ts === 'number' && Number.isFinite(ts) && ts > 0 ? ts : undefined;
}
