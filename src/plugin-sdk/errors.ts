// Errors a plugin throws, each carrying what the host should do about it. The host's
// delivery workers own every retry (SDK clients are configured not to retry), so the
// backoff, limits and dead-letter list live in one place.

export type PluginErrorKind = 'rate_limited' | 'permanent' | 'auth' | 'transient';

export class PluginError extends Error {
  readonly kind: PluginErrorKind;
  /** For `rate_limited`: how long the platform asked us to wait. */
  readonly retryAfterMs?: number;

  constructor(kind: PluginErrorKind, message: string, opts: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PluginError';
    this.kind = kind;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }
}

export const rateLimited = (message: string, retryAfterMs: number, cause?: unknown) =>
  new PluginError('rate_limited', message, { retryAfterMs, cause });
export const permanent = (message: string, cause?: unknown) =>
  new PluginError('permanent', message, { cause });
export const authFailed = (message: string, cause?: unknown) => new PluginError('auth', message, { cause });
export const transient = (message: string, cause?: unknown) =>
  new PluginError('transient', message, { cause });

/**
 * Maps an HTTP status (and Retry-After header value, seconds or HTTP date) to a PluginError.
 * 429 → rate_limited; 401/403 → auth; other 4xx → permanent; 5xx and anything else → transient.
 */
export function errorFromHttpStatus(
  status: number,
  message: string,
  retryAfter?: string | number | null,
): PluginError {
  if (status === 429) return rateLimited(message, parseRetryAfterMs(retryAfter) ?? 1000);
  if (status === 401 || status === 403) return authFailed(message);
  if (status >= 400 && status < 500) return permanent(message);
  return transient(message);
}

export function parseRetryAfterMs(value: string | number | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const seconds = typeof value === 'number' ? value : Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(String(value));
  if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  return undefined;
}
