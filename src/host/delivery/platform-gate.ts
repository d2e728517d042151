// The way to one plugin's platform, shared by all of that plugin's jobs in this host:
//   - at most `concurrency` calls in flight (a route-batch job routes many requests side by
//     side, so BullMQ's job count alone would not bound them);
//   - while the platform's Retry-After runs, no call is made: it fails at once as PlatformPaused,
//     which the retry classifier turns into the queue's pause;
//   - after a pause, one call goes first (a probe) and the others wait for its answer, so a
//     platform still throttling us sees one call, not `concurrency` of them.

import { PlatformPaused } from './retry-classifier.js';
import { Slots } from './slots.js';

export class PlatformGate {
  private readonly slots: Slots;
  private pausedUntil = 0;
  private needsProbe = false;
  private probe?: Promise<unknown>;

  constructor(concurrency: number) {
    this.slots = new Slots(concurrency);
  }

  /** The platform asked us to wait `ms` (Retry-After). True when this moved the end of the pause. */
  pause(ms: number): boolean {
    const until = Date.now() + ms;
    const extended = until > this.pausedUntil + 1000;
    this.pausedUntil = Math.max(this.pausedUntil, until);
    this.needsProbe = true;
    return extended;
  }

  call<T>(fn: () => Promise<T>): Promise<T> {
    return this.slots.run(async () => {
      for (;;) {
        const wait = this.pausedUntil - Date.now();
        if (wait > 0) throw new PlatformPaused(wait);
        if (!this.needsProbe) return fn();
        if (this.probe) {
          await this.probe.catch(() => {});
          continue;
        }
        const probe = fn();
        this.probe = probe;
        try {
          const value = await probe;
          this.needsProbe = false;
          return value;
        } finally {
          this.probe = undefined;
        }
      }
    });
  }
}
