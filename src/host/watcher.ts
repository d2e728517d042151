// Follows the API's event stream from the cursor kept in Redis and turns every request
// change into one `route` job per plugin. The cursor moves only after the jobs are queued,
// so a crash replays (harmlessly: job ids are deterministic) rather than skips. On start and
// after every reconnect it also reconciles: each PENDING request gets its route jobs again,
// which covers anything created while no host was running.

import { setTimeout as sleep } from 'node:timers/promises';
import type { AccessRequest, RequestEvent } from '../access/types.js';
import type { AccessClient } from '../api/client-types.js';
import type { Logger as PinoLogger } from '../log.js';
import type { DeliveryQueues } from './delivery-queues.js';
import type { DeliveryJobData } from './job-ids.js';
import type { Progress } from './progress.js';
import type { RequestReader } from './request-reader.js';

export interface WatcherDeps {
  client: AccessClient;
  progress: Progress;
  queues: DeliveryQueues;
  reader: RequestReader;
  pluginIds: string[];
  log: PinoLogger;
}

export class Watcher {
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  /** True once the first reconcile has finished and the stream is being followed. */
  ready = false;
  lastSeq = 0;

  constructor(private readonly d: WatcherDeps) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Route jobs for one request version, for every plugin. */
  private async enqueue(request: AccessRequest): Promise<void> {
    this.d.reader.remember(request);
    await this.d.progress.sawVersion(request.id, request.version);
    const jobs: DeliveryJobData[] = this.d.pluginIds.map((plugin) => ({
      op: 'route',
      plugin,
      requestId: request.id,
      version: request.version,
    }));
    await this.d.queues.add(jobs);
  }

  /** Retries `fn` until it works or the host stops: Redis or the API may be restarting. */
  private async persist(what: string, fn: () => Promise<void>): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await fn();
        return;
      } catch (err) {
        const wait = Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
        this.d.log.warn(
          { err: err instanceof Error ? err.message : String(err), waitMs: wait },
          `${what} failed; retrying`,
        );
        await sleep(wait, undefined, { signal: this.abort.signal }).catch(() => {});
      }
    }
  }

  private async reconcile(): Promise<void> {
    await this.persist('reconciling pending requests', async () => {
      const pending = await this.d.client.listRequests({ state: 'PENDING' });
      for (const request of pending) {
        if (this.stopped) return;
        await this.enqueue(request);
      }
      this.d.log.info({ pending: pending.length }, 'reconciled pending requests');
    });
  }

  private async handle(event: RequestEvent): Promise<void> {
    if (event.type === 'put')
      await this.persist(`queueing event ${event.seq}`, () => this.enqueue(event.request));
    await this.persist('advancing the cursor', async () => {
      await this.d.progress.advanceCursor(event.seq);
    });
    this.lastSeq = event.seq;
  }

  private async run(): Promise<void> {
    let since = 0;
    await this.persist('reading the watch cursor', async () => {
      let cursor = await this.d.progress.cursor();
      if (cursor === null) {
        // First start: pending requests come from the reconcile, not from replaying all history.
        await this.d.progress.initCursor(await this.d.client.latestSeq());
        cursor = (await this.d.progress.cursor()) ?? 0;
      }
      since = cursor;
    });
    this.lastSeq = since;
    let reconcileDue = true;
    while (!this.stopped) {
      if (reconcileDue) {
        reconcileDue = false;
        // Runs beside the stream; both paths queue idempotent jobs.
        void this.reconcile().then(() => {
          this.ready = true;
        });
      }
      try {
        await this.d.client.watch({
          since,
          signal: this.abort.signal,
          onEvent: (event) => this.handle(event),
          onReconnect: (err) => {
            this.d.log.warn(
              { err: err instanceof Error ? err.message : String(err) },
              'watch stream dropped; resuming',
            );
            void this.reconcile();
          },
        });
        if (!this.stopped) await sleep(200, undefined, { signal: this.abort.signal }).catch(() => {});
      } catch (err) {
        if (this.stopped) break;
        this.d.log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'watch failed; resuming from cursor',
        );
        await sleep(500, undefined, { signal: this.abort.signal }).catch(() => {});
        reconcileDue = true;
      }
      since = Math.max(since, this.lastSeq);
    }
  }
}
