// One registry of error codes for the whole project (API, CLI, config, host).
// Callers branch on `code`, never on message text. The HTTP status travels with the code
// so the API maps every failure the same way, and the client rebuilds the same typed error.

export const ERROR_CODES = {
  // input
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  INVALID_YAML: 400,
  INVALID_RESOURCE_ID: 400,
  MIXED_ROLES_AND_RESOURCES: 400,
  EMPTY_REQUEST: 400,
  REASON_REQUIRED: 400,
  REASON_TOO_LONG: 400,
  INVALID_DURATION: 400,
  INVALID_ROLE: 400,
  INVALID_REVIEW_ROLES: 400,
  INVALID_CURSOR: 400,
  /** Watch: events after the cursor were pruned (older than `api.event_retention`). */
  CURSOR_EXPIRED: 410,
  /**
   * Watch: the reader took nothing for `WATCH_STALL_TIMEOUT_MS`; the API closed its stream (the
   * last message of that stream, never an HTTP answer). Reconnecting with Last-Event-ID resumes.
   */
  WATCH_READER_TOO_SLOW: 408,
  /** The path exists, but not with this method (the answer lists the ones it has in `Allow`). */
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  /** Request headers larger than the server reads (Node's limit, 16 KiB). */
  HEADERS_TOO_LARGE: 431,
  /** A request (or the change to it) would pass a size limit of src/access/limits.ts. */
  REQUEST_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // auth
  UNAUTHENTICATED: 401,
  /** Too many failed authentications from one source: wait for the window to pass. */
  TOO_MANY_FAILED_AUTH: 429,
  INVALID_TOKEN: 401,
  /** Inbound hook: signature missing or wrong. */
  INVALID_SIGNATURE: 401,
  /** Inbound hook: signed timestamp outside the replay window (either direction). */
  STALE_REQUEST: 401,
  FORBIDDEN: 403,
  ROLE_NOT_REQUESTABLE: 403,
  RESOURCE_NOT_REQUESTABLE: 403,
  REVIEW_NOT_ALLOWED: 403,
  SELF_REVIEW: 403,
  REVIEW_AS_NOT_ALLOWED: 403,
  // missing
  NOT_FOUND: 404,
  REQUEST_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  ROLE_NOT_FOUND: 404,
  UNKNOWN_ROLE: 400,
  // state
  ALREADY_REVIEWED: 409,
  REQUEST_RESOLVED: 409,
  REQUEST_EXPIRED: 409,
  CONFLICT: 409,
  // config / runtime
  CONFIG_INVALID: 500,
  REDIS_UNAVAILABLE: 503,
  /** The API's own store does not answer, or cannot be written or read right now (locked, unreadable). */
  STORE_UNAVAILABLE: 503,
  API_UNAVAILABLE: 503,
  /** The disk holding the store is full: nothing can be written until space is freed. */
  STORAGE_FULL: 507,
  /** A file or folder accessbot needs cannot be created, read or written (path and cause named). */
  FILE_ACCESS: 500,
  PLUGIN_NOT_FOUND: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AccessbotError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AccessbotError';
    this.code = code;
    this.status = ERROR_CODES[code];
    this.details = details;
  }

  toJSON(): { error: { code: ErrorCode; message: string; details?: unknown } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export function hasCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof AccessbotError && err.code === code;
}
