// The Web API client and the one place Slack failures become PluginErrors. The client never
// retries (the host's delivery queue owns retries and Retry-After), so every failure surfaces
// at once with its retry meaning.

import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import {
  authFailed,
  type Logger,
  type PluginError,
  permanent,
  rateLimited,
  transient,
} from '../../src/plugin-sdk/index.js';
import { slackSdkLogger } from './sdk-logger.js';

/** `log`: where the SDK's own warnings go (as JSON lines); without it the SDK prints to the console. */
export function createWebClient(token: string, apiUrl: string, timeoutMs: number, log?: Logger): WebClient {
  return new WebClient(token, {
    ...(log ? { logger: slackSdkLogger(log, 'slack-web-api'), logLevel: LogLevel.WARN } : {}),
    slackApiUrl: apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
  });
}

/** `ok:false` errors that mean our credentials are bad: fail the plugin's health. */
const AUTH_ERRORS = new Set([
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'not_allowed_token_type',
  'ekm_access_denied',
]);

/** `ok:false` errors that are Slack's own trouble and may pass. */
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

interface SlackLikeError {
  code?: unknown;
  data?: { error?: unknown };
  retryAfter?: unknown;
  statusCode?: unknown;
  headers?: Record<string, unknown>;
  message?: unknown;
}

/** The `error` string of an `ok:false` answer, if that is what this is. */
export function platformErrorCode(err: unknown): string | undefined {
  const e = err as SlackLikeError;
  return e?.code === ErrorCode.PlatformError && typeof e.data?.error === 'string' ? e.data.error : undefined;
}

export function toPluginError(err: unknown, what: string): PluginError {
  const e = (err ?? {}) as SlackLikeError;
  switch (e.code) {
    case ErrorCode.RateLimitedError: {
      const seconds = typeof e.retryAfter === 'number' ? e.retryAfter : 1;
      return rateLimited(`${what}: Slack rate limit, retry after ${seconds}s`, seconds * 1000, err);
    }
    case ErrorCode.PlatformError: {
      const code = platformErrorCode(err) ?? 'unknown_error';
      if (code === 'ratelimited') return rateLimited(`${what}: Slack rate limit`, 1000, err);
      if (AUTH_ERRORS.has(code)) return authFailed(`${what}: Slack refused our token (${code})`, err);
      if (TRANSIENT_ERRORS.has(code)) return transient(`${what}: Slack error ${code}`, err);
      return permanent(`${what}: Slack error ${code}`, err);
    }
    case ErrorCode.HTTPError: {
      const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
      if (status === 401 || status === 403) return authFailed(`${what}: Slack answered HTTP ${status}`, err);
      if (status >= 400 && status < 500 && status !== 408)
        return permanent(`${what}: Slack answered HTTP ${status}`, err);
      return transient(`${what}: Slack answered HTTP ${status}`, err);
    }
    default:
      return transient(`${what}: cannot reach Slack (${String(e.message ?? err)})`, err);
  }
}

/** Runs one Web API call, turning any failure into a PluginError with retry meaning. */
export async function slackCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toPluginError(err, what);
  }
}
