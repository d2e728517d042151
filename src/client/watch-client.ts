// The client side of GET /v1/watch. Delivers each event once and in order: it tracks the
// last seq handed to the consumer, resumes with Last-Event-ID after any drop, and skips
// anything at or below that seq. A silent connection (no heartbeat) counts as dropped. A
// stream the API ends with an `error` message (a reader too slow, credentials no longer valid)
// reconnects too, and `onReconnect` gets that typed error, so the caller can say why; a
// reconnect whose credentials are refused then ends the watch with the 401/403.

import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { RequestEvent } from '../access/types.js';
import { AccessbotError } from '../errors.js';
import { errorFromResponse, unavailable } from './response-errors.js';
import type { WatchOptions } from './types.js';

const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
/** Three missed server heartbeats (15 s each). */
const DEFAULT_IDLE_TIMEOUT_MS = 45_000;

export interface WatchConnection {
  baseUrl: string;
  token: string;
  connectTimeoutMs: number;
  idleTimeoutMs?: number;
}

/** The API ended the stream with an `error` message: reconnect, and report it as the reason. */
class EndedByServer extends Error {
  constructor(readonly reason: AccessbotError) {
    super(reason.message);
  }
}

/** Marks a failure of the consumer's own handler: it ends the watch instead of reconnecting. */
class ConsumerFailed extends Error {
  constructor(readonly original: unknown) {
    super('watch consumer failed');
  }
}

export async function followWatchStream(conn: WatchConnection, opts: WatchOptions): Promise<void> {
  let lastSeq = opts.since;
  let backoff = INITIAL_BACKOFF_MS;
  while (!opts.signal?.aborted) {
    let failure: unknown;
    try {
      await streamOnce(conn, opts, lastSeq, (seq) => {
        lastSeq = seq;
        backoff = INITIAL_BACKOFF_MS;
      });
      failure = new AccessbotError('API_UNAVAILABLE', 'watch stream ended');
    } catch (err) {
      if (err instanceof ConsumerFailed) throw err.original;
      if (opts.signal?.aborted) return;
      if (err instanceof EndedByServer) failure = err.reason;
      else if (isPermanent(err)) throw err;
      else failure = err;
    }
    if (opts.signal?.aborted) return;
    opts.onReconnect?.(failure, lastSeq);
    await sleep(backoff + Math.random() * backoff * 0.2, opts.signal);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

/** Auth failures and bad cursors will not heal by reconnecting. */
function isPermanent(err: unknown): boolean {
  return err instanceof AccessbotError && err.status >= 400 && err.status < 500 && err.status !== 429;
}

async function streamOnce(
  conn: WatchConnection,
  opts: WatchOptions,
  since: number,
  delivered: (seq: number) => void,
): Promise<void> {
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let idle: NodeJS.Timeout | undefined;
  const armIdle = (ms: number) => {
    clearTimeout(idle);
    idle = setTimeout(() => abort.abort(new Error('watch stream went silent')), ms);
  };
  let lastSeq = since;
  try {
    armIdle(conn.connectTimeoutMs);
    let res: Response;
    try {
      res = await fetch(`${conn.baseUrl}/v1/watch?since=${since}`, {
        headers: {
          authorization: `Bearer ${conn.token}`,
          accept: 'text/event-stream',
          'last-event-id': String(since),
        },
        signal: abort.signal,
      });
    } catch (err) {
      throw unavailable(conn.baseUrl, err);
    }
    if (!res.ok) throw errorFromResponse(res.status, await res.text().catch(() => ''));
    if (!res.body) throw new AccessbotError('API_UNAVAILABLE', 'watch response has no body');

    const idleMs = conn.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const pending: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (message) => pending.push(message) });
    const decoder = new TextDecoder();
    armIdle(idleMs);
    for await (const chunk of res.body) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      clearTimeout(idle);
      for (const message of pending.splice(0)) {
        if (message.event === 'error') throw new EndedByServer(errorFromResponse(500, message.data));
        const seq = Number(message.id);
        if (!Number.isSafeInteger(seq) || seq <= lastSeq) continue;
        const event = JSON.parse(message.data) as RequestEvent;
        try {
          await opts.onEvent(event);
        } catch (err) {
          throw new ConsumerFailed(err);
        }
        lastSeq = seq;
        delivered(seq);
      }
      armIdle(idleMs);
    }
  } finally {
    clearTimeout(idle);
    opts.signal?.removeEventListener('abort', onOuterAbort);
    abort.abort();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
