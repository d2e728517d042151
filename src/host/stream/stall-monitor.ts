// Tells a watch that makes no progress from one that is merely idle. A stream the API keeps
// resetting (or that cannot pass an event) reconnects again and again while the cursor stays
// where it is: after STALL_RECONNECTS such reconnects in a row the monitor asks the API for its
// latest event, and if the API is ahead of the cursor (or does not answer) the watch is stalled:
// /readyz says so and why, and the log says so once (and once more when events flow again).
// An idle stream that is reset (a proxy's idle timeout) is not stalled: the API is not ahead.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger as PinoLogger } from '../../log.js';
import type { AccessSource } from '../source/access-source.js';

/** Reconnects in a row without a new event before the monitor looks at the API. */
export const STALL_RECONNECTS = 5;
const LATEST_ATTEMPTS = 3;
const LATEST_RETRY_MS = 250;

interface Stall {
  cursor: number;
  /** The API's latest event, or why it could not be read. */
  api: { latest: number } | { error: string };
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class StallMonitor {
  private reconnects = 0;
  /** The newest event received when the current run of reconnects began. */
  private mark = 0;
  private lastError = '';
  private stall?: Stall;
  private checking = false;

  constructor(
    private readonly client: Pick<AccessSource, 'latestSeq'>,
    private readonly log: PinoLogger,
  ) {}

  /** The stream dropped (or failed to open) with the newest received event at `received`. */
  reconnected(err: unknown, received: number): void {
    if (received > this.mark) {
      this.mark = received;
      this.reconnects = 0;
    }
    this.reconnects++;
    this.lastError = messageOf(err);
    if (this.reconnects >= STALL_RECONNECTS && !this.checking) void this.check(received);
  }

  /** The cursor was moved back (a replaced API log): events from `seq` on count as progress. */
  restart(seq: number): void {
    this.mark = seq;
    this.reconnects = 0;
    this.stall = undefined;
  }

  /** An event arrived: the watch moves. */
  received(seq: number): void {
    if (seq <= this.mark) return;
    this.mark = seq;
    this.reconnects = 0;
    if (this.stall) {
      this.log.info({ cursor: seq }, 'watch stream is making progress again');
      this.stall = undefined;
    }
  }

  get stalled(): boolean {
    return this.stall !== undefined;
  }

  /** Undefined while the watch moves (or is idle), else why it is stalled. */
  status(): string | undefined {
    const stall = this.stall;
    if (!stall) return undefined;
    const api =
      'latest' in stall.api
        ? `the API is at ${stall.api.latest}`
        : `the API does not answer (${stall.api.error})`;
    return `no progress: cursor ${stall.cursor} while ${api}; ${this.reconnects} reconnects in a row without an event (last error: ${this.lastError})`;
  }

  /**
   * The API's latest event. One failed call is asked again after a moment: a pooled connection
   * the far side just closed fails one call, and that alone must not make the host not ready.
   */
  private async latest(): Promise<Stall['api']> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { latest: await this.client.latestSeq() };
      } catch (err) {
        if (attempt >= LATEST_ATTEMPTS) return { error: messageOf(err) };
        await sleep(LATEST_RETRY_MS);
      }
    }
  }

  private async check(cursor: number): Promise<void> {
    this.checking = true;
    try {
      const api = await this.latest();
      // An event may have come meanwhile; and an API not ahead of us means an idle stream.
      if (this.mark > cursor || ('latest' in api && api.latest <= cursor)) return;
      const first = !this.stall;
      this.stall = { cursor, api };
      if (first)
        this.log.warn(
          { cursor, ...api, reconnects: this.reconnects, lastError: this.lastError },
          'watch stream makes no progress: it keeps reconnecting without an event while the API is ahead; not ready until it moves',
        );
    } finally {
      this.checking = false;
    }
  }
}
