// Alert creation, notes and closing are asynchronous on both platforms: the write answers
// "Request will be processed" with a requestId at once, and the change happens a moment later;
// until then the request-status endpoint answers 404. This queue plays that part.

import { randomUUID } from 'node:crypto';
import type { FakeRequest, OpsDirectory } from './directory.js';

export interface Outcome {
  isSuccess: boolean;
  status: string;
  alertId?: string;
  alias?: string;
}

export class AsyncRequests {
  /** How long a write waits before it is carried out (ms). */
  delayMs = 5;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly dir: OpsDirectory) {}

  /** Accepts a write; `apply` runs after `delayMs` and says what happened. */
  accept(action: FakeRequest['action'], apply: () => Outcome): FakeRequest {
    const request: FakeRequest = { requestId: randomUUID(), action, processed: false };
    this.dir.requests.set(request.requestId, request);
    const run = () => {
      const outcome = apply();
      Object.assign(request, outcome, { processed: true, processedAt: new Date().toISOString() });
    };
    if (this.delayMs <= 0) {
      run();
    } else {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        run();
      }, this.delayMs);
      this.timers.add(timer);
    }
    return request;
  }

  /** Drops the writes not carried out yet (the fake is stopping). */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
