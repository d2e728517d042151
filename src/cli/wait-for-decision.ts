// After `request create` without --nowait: follow the watch stream from the sequence number
// read before the request was created (so a decision made in between is not missed), with a
// poll alongside. Requesters usually may not watch every request (the stream needs list/read
// on access_request); for them, and whenever the stream is refused, the poll speeds up.

import { setTimeout as sleep } from 'node:timers/promises';
import type { AccessRequest } from '../access/types.js';
import type { AccessClient } from '../client/types.js';

export interface WaitOptions {
  /** Sequence number read before creating the request; undefined = the caller may not watch. */
  since?: number;
  /** Poll interval while the stream is healthy (default 5 s) and without it (default 1 s). */
  slowPollMs?: number;
  fastPollMs?: number;
  signal?: AbortSignal;
}

function resolved(req: AccessRequest): boolean {
  return req.state !== 'PENDING';
}

export async function waitForDecision(
  client: AccessClient,
  id: string,
  opts: WaitOptions,
): Promise<AccessRequest> {
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });

  let settle!: (req: AccessRequest) => void;
  let fail!: (err: unknown) => void;
  const decided = new Promise<AccessRequest>((res, rej) => {
    settle = res;
    fail = rej;
  });

  let watching = opts.since !== undefined;
  if (opts.since !== undefined) {
    client
      .watch({
        since: opts.since,
        signal: stop.signal,
        onEvent: (event) => {
          if (event.request.id === id && resolved(event.request)) settle(event.request);
        },
      })
      // A refused or broken stream is not fatal: the poll finds the decision, only sooner now.
      .catch(() => undefined)
      .finally(() => {
        watching = false;
      });
  }

  const poll = async () => {
    while (!stop.signal.aborted) {
      const interval = watching ? (opts.slowPollMs ?? 5_000) : (opts.fastPollMs ?? 1_000);
      // Aborting cancels the timer too, so the process can exit as soon as the wait ends.
      const slept = await sleep(interval, true, { signal: stop.signal }).catch(() => false);
      if (!slept) return;
      try {
        const req = await client.getRequest(id);
        if (resolved(req)) settle(req);
      } catch (err) {
        fail(err);
        return;
      }
    }
  };
  void poll();

  try {
    return await decided;
  } finally {
    stop.abort();
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}
