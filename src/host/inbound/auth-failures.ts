// Failed authentication at the inbound server: a forged, missing or stale signature (any hook
// answered 401). Counted per source in fixed windows; past the budget, a source's failing calls
// are answered 429 TOO_MANY_FAILED_AUTH with Retry-After instead of 401. Calls that pass the
// plugin's check are served whatever their source did: behind a shared proxy or NAT the
// platform and a forger share one address, and a forger must not lock the platform out (the
// check itself costs one HMAC over a body already read). The log gets one line for a window's
// first refusal and one sum at its end, however many calls and sources: a flood of forged
// hooks cannot flood the log. Per-source state is bounded (MAX_TRACKED_SOURCES, oldest window
// dropped first), so a flood from many addresses cannot grow memory either.

import type { Logger as PinoLogger } from '../../log.js';

/** Failed checks a source may make per window before its failing calls get 429. */
export const AUTH_FAILURES_PER_SOURCE = 20;
export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** Sources remembered at once (about 100 bytes each). */
export const MAX_TRACKED_SOURCES = 10_000;

export interface AuthFailureVerdict {
  throttled: boolean;
  /** Seconds until the source's window ends. */
  retryAfterSeconds: number;
}

export interface AuthFailureSettings {
  windowMs?: number;
  perSource?: number;
  maxSources?: number;
}

interface SourceWindow {
  startedAt: number;
  failures: number;
}

interface LogWindow {
  refused: number;
  throttled: number;
  sources: number;
  byPlugin: Map<string, number>;
  timer: NodeJS.Timeout;
}

/**
 * Where a call comes from, for counting: an IPv4 address as is (also when mapped into IPv6),
 * an IPv6 address by its /64, the smallest block one party usually holds.
 */
export function sourceOf(address: string | undefined): string {
  if (!address) return 'unknown';
  const bare = address.split('%')[0]!.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bare);
  if (mapped) return mapped[1]!;
  if (!bare.includes(':')) return bare;
  const [head = '', tail] = bare.split('::');
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const missing = Math.max(0, 8 - front.length - back.length);
  const groups = [...front, ...Array<string>(missing).fill('0'), ...back];
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

export class AuthFailures {
  private readonly bySource = new Map<string, SourceWindow>();
  private logWindow?: LogWindow;
  private readonly windowMs: number;
  private readonly perSource: number;
  private readonly maxSources: number;

  constructor(
    private readonly log: PinoLogger,
    settings: AuthFailureSettings = {},
  ) {
    this.windowMs = settings.windowMs ?? AUTH_FAILURE_WINDOW_MS;
    this.perSource = settings.perSource ?? AUTH_FAILURES_PER_SOURCE;
    this.maxSources = settings.maxSources ?? MAX_TRACKED_SOURCES;
  }

  /** Sources currently remembered (never more than the bound). */
  get trackedSources(): number {
    return this.bySource.size;
  }

  /** Records one failed check and says whether the source is past its budget. */
  record(
    failure: { plugin: string; source: string; code: string; why: string },
    now = Date.now(),
  ): AuthFailureVerdict {
    let entry = this.bySource.get(failure.source);
    let newSource = false;
    if (!entry || now - entry.startedAt >= this.windowMs) {
      // Deleting and re-inserting keeps the map in window-start order: the first key is the
      // oldest window, the one to drop when the map is full.
      if (entry) this.bySource.delete(failure.source);
      while (this.bySource.size >= this.maxSources) {
        const oldest = this.bySource.keys().next().value as string;
        this.bySource.delete(oldest);
      }
      entry = { startedAt: now, failures: 0 };
      this.bySource.set(failure.source, entry);
      newSource = true;
    }
    entry.failures++;
    const throttled = entry.failures > this.perSource;
    this.logged(failure, throttled, newSource);
    return {
      throttled,
      retryAfterSeconds: Math.max(1, Math.ceil((entry.startedAt + this.windowMs - now) / 1000)),
    };
  }

  /** Stops the end-of-window timer (the host is closing); what it would sum up is logged now. */
  close(): void {
    if (this.logWindow) {
      clearTimeout(this.logWindow.timer);
      this.endLogWindow();
    }
  }

  private logged(
    failure: { plugin: string; source: string; code: string; why: string },
    throttled: boolean,
    newSource: boolean,
  ): void {
    if (!this.logWindow) {
      const timer = setTimeout(() => this.endLogWindow(), this.windowMs);
      timer.unref();
      this.logWindow = { refused: 0, throttled: 0, sources: 0, byPlugin: new Map(), timer };
      this.log.warn(
        { plugin: failure.plugin, source: failure.source, code: failure.code, why: failure.why },
        `inbound call failed authentication; further failures in the next ${Math.round(this.windowMs / 1000)} s are counted (accessbot_inbound_refused_total) and summed up then`,
      );
    }
    const w = this.logWindow;
    w.refused++;
    if (throttled) w.throttled++;
    if (newSource) w.sources++;
    w.byPlugin.set(failure.plugin, (w.byPlugin.get(failure.plugin) ?? 0) + 1);
  }

  private endLogWindow(): void {
    const w = this.logWindow;
    this.logWindow = undefined;
    if (!w || w.refused <= 1) return;
    this.log.warn(
      {
        refused: w.refused,
        throttled: w.throttled,
        sources: w.sources,
        plugins: Object.fromEntries(w.byPlugin),
      },
      `inbound calls failed authentication in the last ${Math.round(this.windowMs / 1000)} s`,
    );
  }
}
