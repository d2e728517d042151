// Reasons travel into chat messages and tickets; a cap in bytes keeps every platform's
// message limit within reach (Teleport caps request reasons the same way).

import { AccessbotError } from '../errors.js';

export const MAX_REASON_BYTES = 4096;

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
