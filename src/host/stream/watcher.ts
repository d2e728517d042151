// Follows the API's event stream from the cursor kept in Redis and turns every request
// change into `route` jobs per plugin (one per request, or one per batch of requests when many
// arrive at once). Events are queued in batches (one Redis round trip
// for many events), and the cursor moves only after a batch's jobs are queued, so a crash
// replays (harmlessly: job ids are deterministic) rather than skips. On start it also
// reconciles: each PENDING request gets its route jobs again, which covers anything the cursor
// cannot (a first start, a cursor older than the API keeps events: CURSOR_EXPIRED, or one
// beyond the end of the API's log: INVALID_CURSOR, after the API's database was replaced). A
// dropped stream resumes from the cursor and walks nothing: the log replays what it missed, so
// a reconnect costs the events since the drop, not a walk of every pending request.

import { setTimeout as sleep } from 'node:timers/promises';
import type { AccessRequest, RequestEvent } from '../../access/types.js';
import { hasCode } from '../../errors.js';
import type { Logger as PinoLogger } from '../../log.js';
import type { DeliveryQueues } from '../delivery/delivery-queues.js';
import { routeJobs } from '../delivery/job-ids.js';
import type { AccessSource } from '../source/access-source.js';
import type { Progress } from './progress.js';
import { REQUEST_CACHE_SIZE, type RequestReader } from './request-reader.js';
import { StallMonitor } from './stall-monitor.js';

export interface WatcherDeps {
  client: AccessSource;
  progress: Progress;
  queues: DeliveryQueues;
  reader: RequestReader;
  pluginIds: string[];
  log: PinoLogger;
}

/** Events per Redis round trip; also how far the stream may run ahead of the queues. */
const BATCH = 500;
/**
 * Request versions per route job when many arrive at once (a burst, a reconcile page): a
 * BullMQ job costs more host and Redis CPU than routing one request does.
 */
const ROUTE_BATCH = 32;
/** How long a withdrawal waits for posts of the request that may still be under way. */
const WITHDRAW_DELAY_MS = 2000;
/** How long a flush waits for more events, and how recent the last flush must be for it to wait. */
const LINGER_MS = 5;
const LINGER_WHILE_BUSY_MS = 20;
/**
 * The reconcile queues the next batch only when the backlog is below this (or after
 * RECONCILE_PACE_MAX_MS), so the requests it hands the reader are still cached when their
 * jobs run, instead of each job re-reading its request from the API.
 */
const RECONCILE_BACKLOG_JOBS = REQUEST_CACHE_SIZE / 2 / ROUTE_BATCH;
const RECONCILE_PACE_MAX_MS = 10_000;

export class Watcher {
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private buffer: RequestEvent[] = [];
  private flushing?: Promise<void>;
  private lingering?: NodeJS.Timeout;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  /** True once the first reconcile has finished and the stream is being followed. */
  ready = false;
  /** Last event whose jobs are queued (and the cursor moved past). */
  lastSeq = 0;
  private lastReceived = 0;
  private readonly stall: StallMonitor;

  constructor(private readonly d: WatcherDeps) {
    this.stall = new StallMonitor(d.client, d.log);
  }

  /** The stream keeps reconnecting without an event while the API is ahead (stall-monitor.ts). */
  get stalled(): boolean {
    return this.stall.stalled;
  }

  /** For /readyz: `ok`, `starting` (first reconcile not done), or why the stream makes no progress. */
  status(): string {
    return this.stall.status() ?? (this.ready ? 'ok' : 'starting');
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    // What is still buffered (a linger cut short) is queued before the host stops.
    if (this.buffer.length > 0) this.startFlush();
    await this.flushing;
  }

  /**
   * Routes every PENDING request again, beside the stream. For after Redis came back as a
   * different server (a Sentinel failover): replication is asynchronous, so the last jobs queued
   * on the old master may be missing on the new one.
   */
  reconcileSoon(): void {
    if (!this.stopped) void this.reconcile();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Route jobs for these request versions, for every plugin, in one go. */
  private async enqueue(requests: AccessRequest[]): Promise<void> {
    const newest = new Map<string, AccessRequest>();
    for (const r of requests) {
      const known = newest.get(r.id);
      if (!known || known.version < r.version) newest.set(r.id, r);
    }
    const list = [...newest.values()];
    for (const r of list) this.d.reader.remember(r);
    await this.d.progress.sawVersions(list);
    const entries = list.map((r) => ({ id: r.id, version: r.version }));
    await this.d.queues.add(this.d.pluginIds.flatMap((plugin) => routeJobs(plugin, entries, ROUTE_BATCH)));
  }

  /**
   * Deleted requests: their messages are shown as withdrawn. The job carries the request as it
   * was (the API no longer has it) and waits a moment, so a post already under way lands first.
   */
  private async withdraw(deleted: AccessRequest[]): Promise<void> {
    if (deleted.length === 0) return;
    for (const r of deleted) this.d.reader.forget(r.id);
    const notBefore = Date.now() + WITHDRAW_DELAY_MS;
    await this.d.queues.add(
      deleted.flatMap((r) =>
        this.d.pluginIds.map((plugin) => ({
          op: 'withdraw' as const,
          plugin,
          requestId: r.id,
          deleted: r,
          notBefore,
        })),
      ),
    );
  }

  /**
   * Retries `fn` until it works: Redis or the API may be restarting. Once the host is stopping
   * it gives up after a few tries (what is not queued is replayed from the cursor next time).
   */
  private async persist(what: string, fn: () => Promise<void>): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await fn();
        return true;
      } catch (err) {
        if (this.stopped && attempt >= 2) return false;
        const wait = Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
        this.d.log.warn(
          { err: err instanceof Error ? err.message : String(err), waitMs: wait },
          `${what} failed; retrying`,
        );
        await sleep(wait);
      }
    }
  }

  /**
   * Pages through PENDING, one batch per API call, so at most one page is held at a time.
   * Pages are in store order and a request's position never changes, so every request that
   * stays pending is listed exactly once; one created meanwhile comes through the stream too.
   * A failed page is retried from the same cursor, not from the start.
   */
  private async reconcile(): Promise<void> {
    let after: string | undefined;
    let total = 0;
    for (let first = true; !this.stopped; first = false) {
      if (!first) await this.paceReconcile();
      let next: string | undefined;
      const ok = await this.persist('reconciling pending requests', async () => {
        const page = await this.d.client.listRequestsPage({
          state: 'PENDING',
          limit: BATCH,
          ...(after === undefined ? {} : { after }),
        });
        await this.enqueue(page.requests);
        total += page.requests.length;
        next = page.next;
      });
      if (!ok) return;
      if (next === undefined) break;
      after = next;
    }
    if (!this.stopped) this.d.log.info({ pending: total }, 'reconciled pending requests');
  }

  private async paceReconcile(): Promise<void> {
    const deadline = Date.now() + RECONCILE_PACE_MAX_MS;
    while (!this.stopped && Date.now() < deadline) {
      if ((await this.d.queues.backlog()) < RECONCILE_BACKLOG_JOBS) return;
      await sleep(50);
    }
  }

  private async flush(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, BATCH);
      const puts = batch.filter((e) => e.type === 'put').map((e) => e.request);
      const deletes = batch.filter((e) => e.type === 'delete').map((e) => e.request);
      const ok = await this.persist('queueing events', async () => {
        await this.enqueue(puts);
        await this.withdraw(deletes);
      });
      if (!ok) return;
      const seq = Math.max(...batch.map((e) => e.seq));
      await this.persist('advancing the cursor', async () => {
        await this.d.progress.advanceCursor(seq);
      });
      this.lastSeq = Math.max(this.lastSeq, seq);
    }
  }

  /**
   * Queues what is buffered. A lone event goes at once; while events keep coming (the last
   * flush was moments ago) a short linger gathers them, so a burst becomes a few route
   * batches rather than thousands of one-request jobs, at the cost of a few ms of latency.
   */
  private kick(): void {
    if (this.flushing) return;
    const streaming = performance.now() - this.lastFlushAt < LINGER_WHILE_BUSY_MS;
    if (streaming && this.buffer.length < ROUTE_BATCH && !this.stopped) {
      this.lingering ??= setTimeout(() => {
        this.lingering = undefined;
        this.startFlush();
      }, LINGER_MS);
      return;
    }
    this.startFlush();
  }

  private startFlush(): void {
    if (this.flushing) return;
    if (this.lingering) clearTimeout(this.lingering);
    this.lingering = undefined;
    this.lastFlushAt = performance.now();
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      if (this.buffer.length > 0 && !this.stopped) this.kick();
    });
  }

  private async handle(event: RequestEvent): Promise<void> {
    this.buffer.push(event);
    this.lastReceived = Math.max(this.lastReceived, event.seq);
    this.stall.received(event.seq);
    this.kick();
    // Back-pressure: let the stream run at most one batch ahead of the queues.
    if (this.buffer.length >= BATCH) await this.flushing;
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
    this.lastReceived = since;
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
            this.stall.reconnected(err, this.lastReceived);
            // Once stalled, the one stall line speaks for every further drop.
            if (!this.stall.stalled)
              this.d.log.warn(
                { err: err instanceof Error ? err.message : String(err) },
                'watch stream dropped; resuming from the cursor',
              );
          },
        });
        if (!this.stopped) await sleep(200, undefined, { signal: this.abort.signal }).catch(() => {});
      } catch (err) {
        if (this.stopped) break;
        if (hasCode(err, 'CURSOR_EXPIRED')) {
          // The API pruned events this host never saw (it was down longer than the API's
          // event retention). Start from the latest event; the reconcile below re-routes every
          // PENDING request, so only the final update of a request resolved in the gap is lost.
          await this.persist('skipping to the latest event', async () => {
            const latest = await this.d.client.latestSeq();
            await this.d.progress.advanceCursor(latest);
            since = Math.max(since, latest);
          });
          this.lastSeq = Math.max(this.lastSeq, since);
          this.lastReceived = Math.max(this.lastReceived, since);
          this.d.log.warn({ since }, 'watch cursor older than the API keeps events; resumed from the latest');
          reconcileDue = true;
          continue;
        }
        if (hasCode(err, 'INVALID_CURSOR')) {
          // The cursor is beyond the end of the API's log: its database was replaced or
          // restored from an older backup. Nothing after the cursor exists there; start again
          // from the API's latest event and walk PENDING, as on a first start.
          const stale = since;
          // Events of the old log still being queued would raise the cursor again after this.
          await this.flushing;
          await this.persist('moving the cursor back to the latest event', async () => {
            const latest = await this.d.client.latestSeq();
            await this.d.progress.resetCursor(latest);
            since = latest;
          });
          this.lastSeq = since;
          this.lastReceived = since;
          this.stall.restart(since);
          this.d.log.warn(
            { cursor: stale, since },
            "watch cursor is beyond the end of the API's log (its database was replaced?); resumed from the latest",
          );
          reconcileDue = true;
          continue;
        }
        this.stall.reconnected(err, this.lastReceived);
        this.d.log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'watch failed; resuming from cursor',
        );
        // No reconcile: the cursor is still valid, so the log replays everything after it.
        await sleep(500, undefined, { signal: this.abort.signal }).catch(() => {});
      }
      since = Math.max(since, this.lastReceived);
    }
  }
}
