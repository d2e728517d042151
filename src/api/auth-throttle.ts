// Failed authentication, throttled per source address. After AUTH_FAILURES_PER_WINDOW failures
// in one AUTH_WINDOW_MS window, the source gets 429 TOO_MANY_FAILED_AUTH (with Retry-After)
// for every call until the window ends, before its token is even looked up: a token guesser
// or a misconfigured client costs one map lookup per call, and writes one warning per window
// rather than one line per call. Memory is bounded: at most AUTH_MAX_SOURCES are tracked (the
// oldest dropped first). Tokens are 256-bit random, so this protects the log and the CPU, not
// the tokens.

import type { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { AccessbotError } from '../errors.js';

export const AUTH_FAILURES_PER_WINDOW = 30;
export const AUTH_WINDOW_MS = 60_000;
export const AUTH_MAX_SOURCES = 10_000;

interface SourceWindow {
  startedAt: number;
  failures: number;
  warned: boolean;
}

export class AuthThrottle {
  private readonly sources = new Map<string, SourceWindow>();
  readonly registry = new Registry();
  private readonly failures = new Counter({
    name: 'accessbot_api_auth_failures_total',
    help: 'Calls refused for a missing or invalid token (outcome=refused) or while their source was throttled (outcome=throttled)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** Failures a source may have per window (tests that refuse many tokens on purpose raise it). */
    private readonly failuresPerWindow = AUTH_FAILURES_PER_WINDOW,
  ) {
    this.failures.inc({ outcome: 'refused' }, 0);
    this.failures.inc({ outcome: 'throttled' }, 0);
  }

  /** Throws TOO_MANY_FAILED_AUTH while `source` is over its budget for the current window. */
  check(source: string): void {
    const window = this.current(source);
    if (!window || window.failures < this.failuresPerWindow) return;
    this.failures.inc({ outcome: 'throttled' });
    const retryAfter = Math.max(1, Math.ceil((window.startedAt + AUTH_WINDOW_MS - this.now()) / 1000));
    throw new AccessbotError(
      'TOO_MANY_FAILED_AUTH',
      `too many failed authentications from this address; retry in ${retryAfter} s`,
      { retryAfterSeconds: retryAfter },
    );
  }

  recordFailure(source: string): void {
    this.failures.inc({ outcome: 'refused' });
    let window = this.current(source);
    if (!window) {
      if (this.sources.size >= AUTH_MAX_SOURCES) this.evictOldest();
      window = { startedAt: this.now(), failures: 0, warned: false };
      this.sources.set(source, window);
    }
    window.failures++;
    if (window.failures >= this.failuresPerWindow && !window.warned) {
      window.warned = true;
      this.log.warn(
        { source, failures: window.failures, windowSeconds: AUTH_WINDOW_MS / 1000 },
        'failed authentications throttled for this source until the window ends',
      );
    }
  }

  private current(source: string): SourceWindow | undefined {
    const window = this.sources.get(source);
    if (window && this.now() - window.startedAt >= AUTH_WINDOW_MS) {
      this.sources.delete(source);
      return undefined;
    }
    return window;
  }

  /** Drops the sources tracked longest (Map order is insertion order). */
  private evictOldest(): void {
    for (const source of this.sources.keys()) {
      if (this.sources.size < AUTH_MAX_SOURCES) return;
      this.sources.delete(source);
    }
  }
}
