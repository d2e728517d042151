// How the client turns an HTTP failure into the typed error the server meant: the server's
// `{ error: { code, message, details } }` comes back as the same AccessbotError, and a server
// that cannot be reached is API_UNAVAILABLE. Shared by the plain calls and the watch stream.

import { AccessbotError, isErrorCode } from '../errors.js';

/** Rebuilds the server's typed error from `{ error: { code, message, details } }`. */
export function errorFromResponse(status: number, text: string): AccessbotError {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const e = parsed.error;
    if (e && isErrorCode(e.code)) {
      return new AccessbotError(e.code, typeof e.message === 'string' ? e.message : e.code, e.details);
    }
  } catch {
    // not our error shape: fall through
  }
  if (status >= 500) return new AccessbotError('API_UNAVAILABLE', `access API answered HTTP ${status}`);
  return new AccessbotError('BAD_REQUEST', `access API answered HTTP ${status}`);
}

export function unavailable(baseUrl: string, err: unknown): AccessbotError {
  const cause = (err as { cause?: { code?: string } }).cause;
  const why = (err as Error).name === 'TimeoutError' ? 'timed out' : (cause?.code ?? (err as Error).message);
  return new AccessbotError('API_UNAVAILABLE', `cannot reach the access API at ${baseUrl} (${why})`);
}
