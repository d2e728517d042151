// Cluster-wide singletons (the expiry sweeper, the event pruner) for PostgreSQL replicas: a
// session advisory lock per singleton, held on one dedicated connection that never goes back to
// a pool. The replica whose connection holds the lock runs the task; when that replica dies, its
// connection closes, the server releases the lock, and the next replica to ask takes it over.

import pg from 'pg';
import { LOCK_KEYS, LOCK_NAMESPACE } from './postgres-pool.js';
import type { SingletonName } from './types.js';

export class PostgresSingletons {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client | undefined> | undefined;
  private readonly held = new Set<SingletonName>();
  private closed = false;

  constructor(private readonly config: pg.ClientConfig) {}

  /** True when this replica holds (or just took) the singleton; false when another does or the database is away. */
  async holds(name: SingletonName): Promise<boolean> {
    if (this.closed) return false;
    const client = await this.connection();
    if (!client) return false;
    try {
      if (this.held.has(name)) {
        // Still ours? A session cut without a word (a network partition) must not leave two
        // replicas both believing they run the task: ask the server, on the session itself.
        const { rowCount } = await client.query(
          "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = $1 AND objid = $2 AND granted",
          [LOCK_NAMESPACE, LOCK_KEYS[name]],
        );
        if (rowCount) return true;
        this.held.delete(name);
      }
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
        LOCK_NAMESPACE,
        LOCK_KEYS[name],
      ]);
      if (rows[0]?.ok) this.held.add(name);
      return rows[0]?.ok === true;
    } catch {
      return false;
    }
  }

  private connection(): Promise<pg.Client | undefined> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const c = new pg.Client(this.config);
      const lost = () => {
        // Whatever we held went with the session.
        if (this.client === c) {
          this.client = undefined;
          this.held.clear();
        }
        c.end().catch(() => undefined);
      };
      c.on('error', lost);
      c.on('end', lost);
      try {
        await c.connect();
      } catch {
        lost();
        return undefined;
      }
      if (this.closed) {
        await c.end().catch(() => undefined);
        return undefined;
      }
      this.client = c;
      return c;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Ends the session, which releases every lock it held (another replica takes over). */
  async close(): Promise<void> {
    this.closed = true;
    await this.connecting;
    const c = this.client;
    this.client = undefined;
    this.held.clear();
    await c?.end().catch(() => undefined);
  }
}
