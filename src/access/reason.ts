// Reasons travel into chat messages and tickets; a cap in bytes keeps every platform's
// message limit within reach (Teleport caps request reasons the same way).

import { AccessbotError } from '../errors.js';
import { MAX_REASON_BYTES } from './limits.js';
import { hasVisibleText } from './visible-text.js';

export { MAX_REASON_BYTES };

export function checkReasonLength(reason: string, what: string): void {
  const bytes = Buffer.byteLength(reason, 'utf8');
  if (bytes > MAX_REASON_BYTES) {
    throw new AccessbotError(
      'REASON_TOO_LONG',
      `${what} is ${bytes} bytes; the limit is ${MAX_REASON_BYTES} bytes (UTF-8)`,
      { bytes, limit: MAX_REASON_BYTES },
    );
  }
}

/** A reason counts only if a reader can see something: spaces and invisible characters do not. */
export function isBlankReason(reason: string): boolean {
  return !hasVisibleText(reason);
}
