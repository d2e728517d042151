// The commit feed of one replica: it delivers every committed event, once each and in seq
// order, to the replica's onCommit listeners, whichever replica wrote it.
//
// Why a plain `seq > cursor` read is safe here: seq comes from the event_head row, updated in the
// same transaction as the event. Its row lock makes a second writer wait until the first has
// committed (and is visible) before it takes the next number, so a reader that sees seq N also
// sees every seq below N, and no transaction can later commit a seq below one already read. The
// feed therefore keeps one cursor and reads the log after it whenever it is woken: by a local
// commit, by a NOTIFY from any replica (sent inside the writing transaction, so delivered only on
// commit), after the LISTEN connection comes back, and by a slow poll as a last resort.

import { EventEmitter } from 'node:events';
import type { RequestEvent } from '../access/types.js';
import type { CommitListener } from './types.js';

/** Events read per query while catching up (the store also bounds each read in bytes). */
const FEED_BATCH = 500;
/** Re-read even without a wake-up this often while someone listens (a lost notification costs at most this). */
const FEED_POLL_MS = 2000;

export class PostgresEventFeed {
  private readonly emitter = new EventEmitter();
  private cursor: number;
  private pumping: Promise<void> | undefined;
  private again = false;
  private readonly poll: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly readAfter: (
      seq: number,
      limit: number,
    ) => Promise<{ events: RequestEvent[]; more: boolean }>,
    startAt: number,
  ) {
    this.cursor = startAt;
    this.emitter.setMaxListeners(0);
    this.poll = setInterval(() => {
      if (this.listening()) this.wake();
    }, FEED_POLL_MS);
    this.poll.unref();
  }

  private listening(): boolean {
    return this.emitter.listenerCount('event') > 0;
  }

  subscribe(listener: CommitListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /**
   * Something was committed (seq when known). With nobody listening the cursor just moves on:
   * a listener hears about commits after it subscribed, as with SQLite.
   */
  wake(seq?: number): void {
    if (this.closed) return;
    if (!this.listening() && !this.pumping) {
      if (seq !== undefined && seq > this.cursor) this.cursor = seq;
      if (seq !== undefined) return;
    }
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.again && !this.closed) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async pump(): Promise<void> {
    for (;;) {
      let slice: { events: RequestEvent[]; more: boolean };
      try {
        slice = await this.readAfter(this.cursor, FEED_BATCH);
      } catch {
        // The database is away: the next wake-up (reconnect, poll) reads from the same cursor.
        return;
      }
      for (const event of slice.events) {
        if (this.closed) return;
        this.cursor = event.seq;
        this.emitter.emit('event', event);
      }
      if (!slice.more) return;
    }
  }

  /** Waits for the read in progress (tests and close). */
  async settled(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    this.emitter.removeAllListeners();
    await this.pumping;
  }
}
