// The REST client and the one place Mattermost failures become PluginErrors. Client4 builds
// every route, header and body; its own fetch step is replaced because Client4 hides what the
// host's retries need: Mattermost's rate limiter answers 429 as text/plain, which Client4 turns
// into an error without status or Retry-After, and Client4 has no timeout. Nothing here retries:
// the host's delivery queue owns retries and Retry-After.

import mm from '@mattermost/client';
import type { Options } from '@mattermost/types/client4';
import {
  authFailed,
  type PluginError,
  parseRetryAfterMs,
  permanent,
  rateLimited,
  transient,
} from '../../src/plugin-sdk/index.js';

// CommonJS only: a named import compiles but fails at run time.
const { Client4 } = mm;

/** How long to wait when a 429 names no wait (Mattermost's limiter counts per second). */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1000;
/** Error bodies are read for their message only; nothing bigger is kept. */
const MAX_ERROR_TEXT = 300;

/** A failed call as Mattermost answered it: the status, its error id and message, the wait it asked. */
export class MattermostHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorId: string | undefined,
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'MattermostHttpError';
  }
}

type Json = Record<string, unknown>;

/** Client4 whose fetch step throws MattermostHttpError with the status and headers kept. */
export class MattermostClient extends Client4 {
  private readonly timeoutMs: number;

  constructor(url: string, token: string, timeoutMs: number) {
    super();
    this.setUrl(url.replace(/\/+$/, ''));
    this.setToken(token);
    this.setIncludeCookies(false);
    this.setUserAgent('accessbot-mattermost');
    this.timeoutMs = timeoutMs;
  }

  protected override doFetch = async <T>(url: string, options: Options): Promise<T> => {
    const init = this.getOptions(options) as RequestInit;
    init.signal = AbortSignal.timeout(this.timeoutMs);
    const res = await fetch(url, init);
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const body = await res.text();
    if (res.ok) return (type === 'application/json' && body ? JSON.parse(body) : body) as T;
    let errorId: string | undefined;
    let message = body.slice(0, MAX_ERROR_TEXT).trim();
    if (type === 'application/json') {
      try {
        const parsed = JSON.parse(body) as Json;
        if (typeof parsed.id === 'string') errorId = parsed.id;
        if (typeof parsed.message === 'string') message = parsed.message.slice(0, MAX_ERROR_TEXT);
      } catch {
        // Not the JSON it claims to be: keep the text.
      }
    }
    throw new MattermostHttpError(
      res.status,
      errorId,
      message || res.statusText,
      parseRetryAfterMs(res.headers.get('retry-after')) ??
        parseRetryAfterMs(res.headers.get('x-ratelimit-reset')),
    );
  };

  /**
   * Opens an interactive dialog for a click's trigger id. Client4 has no public method for it,
   * so the call goes through the same checked fetch step.
   */
  openDialog(body: Json): Promise<unknown> {
    return this.doFetch(`${this.getBaseRoute()}/actions/dialogs/open`, {
      method: 'post',
      body: JSON.stringify(body),
    });
  }
}

export function toPluginError(err: unknown, what: string): PluginError {
  if (err instanceof MattermostHttpError) {
    const text = `${what}: Mattermost answered ${err.status}${err.errorId ? ` ${err.errorId}` : ''} (${err.message})`;
    if (err.status === 429) return rateLimited(text, err.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS, err);
    // 401 is our token; a 403 is one channel or user the bot may not use, not a broken plugin.
    if (err.status === 401) return authFailed(text, err);
    if (err.status >= 400 && err.status < 500 && err.status !== 408) return permanent(text, err);
    return transient(text, err);
  }
  const e = err as { name?: unknown; message?: unknown };
  if (e?.name === 'TimeoutError') return transient(`${what}: Mattermost did not answer in time`, err);
  return transient(`${what}: cannot reach Mattermost (${String(e?.message ?? err)})`, err);
}

/** Runs one REST call, turning any failure into a PluginError with retry meaning. */
export async function mattermostCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toPluginError(err, what);
  }
}

/** The HTTP status of a failed call, when Mattermost answered one. */
export function statusOf(err: unknown): number | undefined {
  const cause = err instanceof MattermostHttpError ? err : (err as { cause?: unknown })?.cause;
  return cause instanceof MattermostHttpError ? cause.status : undefined;
}
