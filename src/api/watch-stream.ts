// The server side of GET /v1/watch: server-sent events from the event log.
//
// To hand over from replay to live with no gap and no duplicate, the stream subscribes
// to the commit notifier FIRST and buffers, then replays the log from the cursor in
// batches until it is caught up, then drains the buffer skipping anything already sent,
// and only then writes live events directly. Every write goes through `send`, which
// drops seq <= last sent, so ordering is by construction.

import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RequestEvent } from '../access/types.js';
import type { Store } from '../store/types.js';

export const HEARTBEAT_MS = 15_000;
const REPLAY_BATCH = 500;
/** A consumer this far behind is cut off; it resumes from the log with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export function formatEvent(event: RequestEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export interface WatchStreamOptions {
  store: Store;
  since: number;
  res: ServerResponse;
  log: Logger;
  heartbeatMs?: number;
}

/** Streams until the client goes away. Resolves once the replay is done and live mode began. */
export async function streamEvents(opts: WatchStreamOptions): Promise<void> {
  const { store, res, log } = opts;
  let lastSent = opts.since;
  let live = false;
  let closed = false;
  const buffered: RequestEvent[] = [];

  const send = (event: RequestEvent) => {
    if (closed || event.seq <= lastSent) return;
    res.write(formatEvent(event));
    lastSent = event.seq;
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      log.warn({ lastSent }, 'watch consumer too slow; closing its stream so it resumes from the log');
      res.destroy();
    }
  };

  const unsubscribe = store.onCommit((event) => {
    if (live) send(event);
    else buffered.push(event);
  });
  const heartbeat = setInterval(() => {
    if (!closed) res.write(': heartbeat\n\n');
  }, opts.heartbeatMs ?? HEARTBEAT_MS);
  const closedPromise = once(res, 'close').catch(() => undefined);
  res.on('close', () => {
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
  });

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');

  try {
    while (!closed) {
      const batch = await store.eventsSince(lastSent, REPLAY_BATCH);
      if (batch.length === 0) break;
      for (const event of batch) send(event);
      if (res.writableNeedDrain) await Promise.race([once(res, 'drain'), closedPromise]);
    }
    // No await between the last (empty) replay read and going live: nothing can slip in.
    for (const event of buffered) send(event);
    buffered.length = 0;
    live = true;
  } catch (err) {
    log.error({ err }, 'watch replay failed');
    res.destroy();
  }
}
