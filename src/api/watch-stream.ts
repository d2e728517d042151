// The server side of GET /v1/watch: server-sent events from the event log.
//
// The stream is a reader of the log that moves at its client's pace, in replay and live alike:
// it reads a small slice after the last event it sent (WATCH_READ_BYTES), writes it, waits for
// the socket to drain below WATCH_HIGH_WATER_BYTES before reading more, and once the log has
// nothing newer it sleeps until the commit notifier says something was committed. Nothing is
// buffered per connection beyond one slice and the socket's high-water mark, so any log with any
// event sizes replays to the end, and a reader that stops reading holds no later events: they
// stay in the log until it reads again. Order and no-duplicates follow from reading by seq.
//
// The stream's credentials are checked again before every slice and every WATCH_AUTH_RECHECK_MS:
// a token that expired or was revoked, a deleted user or a lost permission ends the stream with
// an `error` event carrying the typed error (the client's reconnect then gets the 401/403).
//
// A reader that takes nothing for WATCH_STALL_TIMEOUT_MS is dropped once: one log line for the
// connection (however many events are waiting for it), then the stream ends with an `error`
// event WATCH_READER_TOO_SLOW after what it was already sent, so a reader that reads again
// learns why and resumes with Last-Event-ID. One that never reads again is cut after a grace
// (the stall timeout again): its socket cannot even take the end.

import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RequestEvent } from '../access/types.js';
import { AccessbotError } from '../errors.js';
import type { Store, StoredEvent } from '../store/types.js';
import {
  WATCH_AUTH_RECHECK_MS,
  WATCH_HIGH_WATER_BYTES,
  WATCH_READ_BYTES,
  WATCH_READ_EVENTS,
  WATCH_STALL_TIMEOUT_MS,
} from './limits.js';

export const HEARTBEAT_MS = 15_000;

export function formatEvent(event: RequestEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** The same text as formatEvent, from the stored JSON (no parse and re-encode per reader). */
export function formatStoredEvent(event: StoredEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: {"seq":${event.seq},"type":${JSON.stringify(event.type)},"request":${event.requestJson},"at":${JSON.stringify(event.at)}}\n\n`;
}

export interface WatchStreamOptions {
  store: Store;
  since: number;
  res: ServerResponse;
  log: Logger;
  /** Throws the typed error when the caller's token, user or permission is no longer valid. */
  authorize: () => Promise<void>;
  /** When the token expires (the stream ends then even if nothing is committed). */
  expiresAt?: Date;
  heartbeatMs?: number;
  authRecheckMs?: number;
  stallTimeoutMs?: number;
  /** How long a dropped stream's end may wait for its reader before the socket is cut. */
  endGraceMs?: number;
}

/** Streams until the client goes away or its credentials stop being valid. */
export async function streamEvents(opts: WatchStreamOptions): Promise<void> {
  const { store, res, log } = opts;
  let lastSent = opts.since;
  let closed = false;
  /** Set by the notifier: something was committed since the last read started. */
  let committed = false;
  let wake: (() => void) | undefined;
  const wakeUp = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };

  const unsubscribe = store.onCommit(() => {
    committed = true;
    wakeUp();
  });
  const heartbeat = setInterval(() => {
    // A reader that is behind gets events, not heartbeats, as soon as it reads again.
    if (!closed && !res.writableNeedDrain) res.write(': heartbeat\n\n');
  }, opts.heartbeatMs ?? HEARTBEAT_MS);
  let authFailure: AccessbotError | undefined;
  const recheck = async () => {
    try {
      await opts.authorize();
    } catch (err) {
      authFailure =
        err instanceof AccessbotError ? err : new AccessbotError('INVALID_TOKEN', 'the token is not valid');
      wakeUp();
    }
  };
  const authTimer = setInterval(() => void recheck(), opts.authRecheckMs ?? WATCH_AUTH_RECHECK_MS);
  const untilExpiry = opts.expiresAt ? opts.expiresAt.getTime() - Date.now() : undefined;
  // setTimeout takes at most ~24.8 days; the periodic re-check covers anything later.
  const expiryTimer =
    untilExpiry !== undefined && untilExpiry < 2 ** 31 - 1
      ? setTimeout(() => void recheck(), Math.max(0, untilExpiry) + 10)
      : undefined;
  const closedPromise = once(res, 'close').catch(() => undefined);
  let endGrace: NodeJS.Timeout | undefined;
  res.on('close', () => {
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
    clearInterval(authTimer);
    clearTimeout(expiryTimer);
    clearTimeout(endGrace);
    wakeUp();
  });
  /**
   * Ends the stream with a last `error` message the client can read. It is queued after what
   * was already written, so a reader that does not read cannot take it: after `graceMs` its
   * socket is destroyed instead.
   */
  const endWith = (err: AccessbotError, graceMs: number) => {
    closed = true;
    if (res.writableEnded || res.destroyed) return;
    // The connection goes too (not back to keep-alive): the reader reconnects anyway. The
    // socket is taken now: the response lets go of it once finished.
    const socket = res.socket;
    res.end(`event: error\ndata: ${JSON.stringify(err.toJSON())}\n\n`, () => socket?.end());
    endGrace = setTimeout(() => res.destroy(), graceMs);
    endGrace.unref();
  };
  const stallTimeoutMs = opts.stallTimeoutMs ?? WATCH_STALL_TIMEOUT_MS;
  const endGraceMs = opts.endGraceMs ?? stallTimeoutMs;

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');

  const drained = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((resolve) => {
      timer = setTimeout(() => resolve('stalled'), stallTimeoutMs);
    });
    const outcome = await Promise.race([
      once(res, 'drain').then(() => 'drained' as const),
      closedPromise,
      stalled,
    ]);
    clearTimeout(timer);
    if (outcome === 'stalled' && !closed) {
      // The one line for this connection: the loop stops here, so no later event logs again.
      log.warn(
        { lastSent, unreadBytes: res.writableLength, stallTimeoutMs },
        'watch reader too slow: it took nothing for the stall timeout; closing its stream (it resumes from the log)',
      );
      endWith(
        new AccessbotError(
          'WATCH_READER_TOO_SLOW',
          `this watch stream read nothing for ${stallTimeoutMs} ms after event ${lastSent}; reconnect with Last-Event-ID: ${lastSent} to resume`,
          { lastEventId: lastSent },
        ),
        endGraceMs,
      );
      return false;
    }
    return !closed;
  };

  try {
    while (!closed) {
      if (authFailure) break;
      committed = false;
      await recheck();
      if (authFailure || closed) break;
      const slice = await store.readEvents(lastSent, {
        maxEvents: WATCH_READ_EVENTS,
        maxBytes: WATCH_READ_BYTES,
      });
      if (slice.length === 0) {
        // Caught up. Sleep until a commit, unless one happened while the log was being read.
        if (!committed && !closed && !authFailure) await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      for (const event of slice) {
        if (closed) break;
        res.write(formatStoredEvent(event));
        lastSent = event.seq;
        if (res.writableLength > WATCH_HIGH_WATER_BYTES && !(await drained())) break;
      }
    }
    if (authFailure && !closed) {
      log.info({ code: authFailure.code }, 'watch stream ended: its credentials are no longer valid');
      endWith(authFailure, endGraceMs);
    }
  } catch (err) {
    log.error({ err }, 'watch stream failed');
    res.destroy();
  }
}
