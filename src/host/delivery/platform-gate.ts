// The way to one plugin's platform, shared by all of that plugin's jobs in this host:
//   - at most `concurrency` calls in flight (a route-batch job routes many requests side by
//     side, so BullMQ's job count alone would not bound them);
//   - while the platform's Retry-After runs, no call is made: it fails at once as PlatformPaused
//     and its job waits out the queue's pause;
//   - after a pause, one call goes first (a probe) and the others wait for its answer, so a
//     platform still throttling us sees one call, not `concurrency` of them.

import { PluginError } from '../../plugin-sdk/index.js';
import { Slots } from './slots.js';

/** A platform call not made because the platform asked us to wait. */
export class PlatformPaused extends PluginError {
  constructor(waitMs: number) {
    super('rate_limited', 'the platform asked us to wait', { retryAfterMs: waitMs });
  }
}

export class PlatformGate {
  private readonly slots: Slots;
  private pausedUntil = 0;
  private needsProbe = false;
  private probe?: Promise<unknown>;

  constructor(concurrency: number) {
    this.slots = new Slots(concurrency);
  }

  /** The platform asked us to wait `ms` (Retry-After). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
    this.needsProbe = true;
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
