// Message-IDs that thread every mail of one request in the reader's mail client: the first
// mail of a request to an audience is the thread's root, with an id derived from the request
// alone (so a retried first mail carries the same id and clients that collapse duplicates do);
// every later mail has an id derived from the host's delivery id and points at the root with
// In-Reply-To and References.

import { createHash } from 'node:crypto';
import type { Target } from '../../src/plugin-sdk/index.js';

/** Request ids are the API's; keep only characters a Message-ID's left part may hold. */
function idPart(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100);
}

export function rootMessageId(requestId: string, audience: Target['audience'], domain: string): string {
  return `<accessbot.${idPart(requestId)}.${audience}@${domain}>`;
}

export function followUpMessageId(requestId: string, deliveryId: string, domain: string): string {
  const digest = createHash('sha256').update(deliveryId).digest('hex').slice(0, 32);
  return `<accessbot.${idPart(requestId)}.${digest}@${domain}>`;
}
