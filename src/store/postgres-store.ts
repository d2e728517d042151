// PostgreSQL store on `pg`: several API replicas over one database. The same contract and
// semantics as the SQLite store (see types.ts):
//
// - Each request change and its event are one statement (data-modifying CTEs), so one round trip
//   and one transaction; compare-and-set is `UPDATE … WHERE version = $expected`.
// - seq is taken from the one-row event_head table in that same statement. Its row lock orders
//   writers by commit, so seq is gapless and a reader's `seq > cursor` never skips an event that
//   commits late (a bigserial would: it is allocated at insert, not at commit). The lock is held
//   only from the counter update to the commit of a single statement.
// - Every commit NOTIFYs its seq; each replica's feed (postgres-event-feed.ts) re-reads the log
//   from its cursor on a wake-up, so onCommit fires on every replica for every event, in order.
// - Connection failures and server outages become STORE_UNAVAILABLE (503), a full disk
//   STORAGE_FULL (507); the pool reconnects by itself once the server is back.

import type pg from 'pg';
import type { Logger } from 'pino';
import { MAX_REQUEST_BYTES } from '../access/limits.js';
import type { AccessRequest, RequestEvent, Role, User } from '../access/types.js';
import type { PostgresStoreConfig } from '../config/schema.js';
import { AccessbotError } from '../errors.js';
import { postgresFailure, RETRYABLE_CODES, sqlState } from './postgres-errors.js';
import { PostgresEventFeed } from './postgres-event-feed.js';
import { type PostgresListener, startPostgresListener } from './postgres-listener.js';
import { migratePostgres } from './postgres-migrations.js';
import { clientConfig, createPool, EVENTS_CHANNEL, LOCK_KEYS, LOCK_NAMESPACE } from './postgres-pool.js';
import { PostgresSingletons } from './postgres-singleton.js';
import { SQL } from './postgres-statements.js';
import * as sqlRows from './sql-rows.js';
import type {
  CommitListener,
  ConditionalUpdate,
  DueBacklog,
  EventReadLimit,
  PositionedRequest,
  RequestPageQuery,
  SingletonName,
  Store,
  StoredEvent,
  TokenRecord,
} from './types.js';

/** Events removed per DELETE when pruning the log. */
const PRUNE_CHUNK = 500;
const WRITE_PROBE_BYTES = MAX_REQUEST_BYTES;
const WRITE_PROBE_INTERVAL_MS = 1000;
/** Request JSON one read of the commit feed holds at most (plus the event that crosses it). */
const FEED_READ_BYTES = 1024 * 1024;
/** A write that lost a deadlock or serialization race is tried again this many times. */
const WRITE_ATTEMPTS = 3;

export interface PostgresStoreOptions {
  config: Pick<PostgresStoreConfig, 'url' | 'pool_size' | 'statement_timeout' | 'connect_timeout' | 'tls'>;
  now?: () => Date;
  log?: Logger;
}

export class PostgresStore implements Store {
  private readonly now: () => Date;
  private writeFailure: AccessbotError | null = null;
  private lastProbe = 0;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly feed: PostgresEventFeed,
    private readonly listener: PostgresListener,
    private readonly singletons: PostgresSingletons,
    now: () => Date,
  ) {
    this.now = now;
  }

  /** Connects, applies migrations (one replica at a time) and starts listening for commits. */
  static async open(opts: PostgresStoreOptions): Promise<PostgresStore> {
    const pool = createPool(opts.config, opts.config.pool_size);
    let latest: number;
    try {
      const client = await pool.connect();
      try {
        await migratePostgres(client);
        latest = (await client.query<{ seq: number }>('SELECT seq FROM event_head')).rows[0]?.seq ?? 0;
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw postgresFailure(err);
    }
    // A slice bounded in count and bytes (128 KiB events add up); `more` when it stopped at either.
    const readAfter = async (seq: number, limit: number) => {
      const { rows } = await pool.query<sqlRows.EventRow>(SQL.eventsAfter, [seq, limit, FEED_READ_BYTES]);
      const bytes = rows.reduce((n, r) => n + Buffer.byteLength(r.request, 'utf8'), 0);
      return {
        events: rows.map(sqlRows.eventFromRow),
        more: rows.length === limit || bytes >= FEED_READ_BYTES,
      };
    };
    const feed = new PostgresEventFeed(readAfter, latest);
    const listener = startPostgresListener({
      config: clientConfig(opts.config, 'accessbot-api-listen'),
      channel: EVENTS_CHANNEL,
      onNotify: (payload) => feed.wake(payload === undefined ? undefined : Number(payload)),
      onListening: () => feed.wake(),
      ...(opts.log ? { log: opts.log } : {}),
    });
    const singletons = new PostgresSingletons(clientConfig(opts.config, 'accessbot-api-singleton'));
    return new PostgresStore(pool, feed, listener, singletons, opts.now ?? (() => new Date()));
  }

  /** A read: outages become typed errors. */
  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(text, values)).rows;
    } catch (err) {
      throw postgresFailure(err);
    }
  }

  /**
   * A write: retried when it lost a deadlock or serialization race; outages become typed errors
   * and are remembered for readiness.
   */
  private async write<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await run();
        this.writeFailure = null;
        return result;
      } catch (err) {
        if (err instanceof AccessbotError) throw err;
        if (attempt < WRITE_ATTEMPTS && RETRYABLE_CODES.has(sqlState(err) ?? '')) continue;
        const failure = postgresFailure(err);
        if (failure.code === 'STORAGE_FULL' || failure.code === 'STORE_UNAVAILABLE')
          this.writeFailure = failure;
        throw failure;
      }
    }
  }

  private async transaction<T>(run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.write(async () => {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await run(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
      } finally {
        client.release(broken);
      }
    });
  }

  private committed(event: RequestEvent): RequestEvent {
    this.feed.wake(event.seq);
    return event;
  }

  async writeProblem(): Promise<AccessbotError | null> {
    if (!this.writeFailure) return null;
    const now = Date.now();
    if (now - this.lastProbe < WRITE_PROBE_INTERVAL_MS) return this.writeFailure;
    this.lastProbe = now;
    try {
      await this.transaction(async (c) => {
        await c.query(
          "INSERT INTO write_probe (id, data) VALUES (1, convert_to(repeat('x', $1), 'UTF8')) ON CONFLICT (id) DO UPDATE SET data = excluded.data",
          [WRITE_PROBE_BYTES],
        );
        await c.query('DELETE FROM write_probe');
      });
    } catch {
      // writeFailure was set again by write()
    }
    return this.writeFailure;
  }

  async createRequest(request: AccessRequest): Promise<RequestEvent> {
    const json = sqlRows.newRequestJson(request);
    const at = this.now().toISOString();
    const seq = await this.write(async () => {
      try {
        const { rows } = await this.pool.query<{ seq: number }>(SQL.createRequest, [
          ...sqlRows.requestRowValues(request, json),
          at,
        ]);
        return rows[0]!.seq;
      } catch (err) {
        if (sqlState(err) === '23505')
          throw new AccessbotError('CONFLICT', `request ${request.id} already exists`);
        throw err;
      }
    });
    return this.committed({ seq, type: 'put', request, at });
  }

  async updateRequest(request: AccessRequest, expectedVersion: number): Promise<RequestEvent> {
    const json = JSON.stringify(request);
    const at = this.now().toISOString();
    const seq = await this.write(async () => {
      const { rows } = await this.pool.query<{ seq: number }>(SQL.updateRequest, [
        ...sqlRows.requestRowValues(request, json),
        expectedVersion,
        at,
      ]);
      return rows[0]?.seq;
    });
    if (seq === undefined) {
      if (!(await this.getRequest(request.id))) {
        throw new AccessbotError('REQUEST_NOT_FOUND', `no access request ${request.id}`);
      }
      throw new AccessbotError('CONFLICT', `request ${request.id} changed meanwhile; read it again`);
    }
    return this.committed({ seq, type: 'put', request, at });
  }

  async deleteRequest(id: string): Promise<RequestEvent> {
    const at = this.now().toISOString();
    const row = await this.write(
      async () => (await this.pool.query<{ seq: number; doc: string }>(SQL.deleteRequest, [id, at])).rows[0],
    );
    if (!row) throw new AccessbotError('REQUEST_NOT_FOUND', `no access request ${id}`);
    return this.committed({
      seq: row.seq,
      type: 'delete',
      request: JSON.parse(row.doc) as AccessRequest,
      at,
    });
  }

  async updateRequestsIfUnchanged(updates: ConditionalUpdate[]): Promise<RequestEvent[]> {
    if (updates.length === 0) return [];
    const at = this.now().toISOString();
    const rows = updates.map((u) => ({ ...u, json: JSON.stringify(u.request) }));
    const written = await this.transaction(async (c) => {
      // Every row first, in id order: a single update (row, then counter) can then never hold a
      // row this batch waits for while waiting for the counter this batch holds.
      await c.query('SELECT 1 FROM requests WHERE id = ANY($1) ORDER BY id FOR UPDATE', [
        rows.map((r) => r.request.id),
      ]);
      const out: RequestEvent[] = [];
      for (const { request, expectedVersion, json } of rows) {
        const { rows: seqRows } = await c.query<{ seq: number }>(SQL.updateRequest, [
          ...sqlRows.requestRowValues(request, json),
          expectedVersion,
          at,
        ]);
        if (seqRows[0]) out.push({ seq: seqRows[0].seq, type: 'put', request, at });
      }
      return out;
    });
    if (written.length > 0) this.feed.wake(written[written.length - 1]!.seq);
    return written;
  }

  async getRequest(id: string): Promise<AccessRequest | null> {
    const rows = await this.query<{ doc: string }>('SELECT doc FROM requests WHERE id = $1', [id]);
    return rows[0] ? (JSON.parse(rows[0].doc) as AccessRequest) : null;
  }

  async listRequestsPage(query: RequestPageQuery): Promise<PositionedRequest[]> {
    // Filters match the stored state only (a read never expires anything); each filter has an
    // index ending in position, so a page is one range read in position order.
    const params: (string | number)[] = [query.after];
    const where: string[] = ['position > $1'];
    if (query.state) {
      params.push(query.state);
      where.push(`state = $${params.length}`);
    }
    if (query.user) {
      params.push(query.user);
      where.push(`"user" = $${params.length}`);
    }
    params.push(query.limit);
    const limit = `$${params.length}`;
    params.push(query.maxBytes ?? Number.MAX_SAFE_INTEGER);
    const budget = `$${params.length}`;
    // The byte budget is applied in the database (the row crossing it included), so a page of
    // large documents never crosses the wire whole.
    const rows = await this.query<{ position: number; doc: string; bytes: number }>(
      `SELECT position, doc, bytes FROM (
         SELECT position, doc, octet_length(doc) AS bytes,
           sum(octet_length(doc)) OVER (ORDER BY position) - octet_length(doc) AS before
         FROM (SELECT position, doc FROM requests WHERE ${where.join(' AND ')} ORDER BY position LIMIT ${limit}) r
       ) w WHERE before < ${budget} ORDER BY position`,
      params,
    );
    return rows.map((r) => ({
      position: r.position,
      request: JSON.parse(r.doc) as AccessRequest,
      bytes: r.bytes,
    }));
  }

  async listDueRequests(now: Date, limit: number): Promise<AccessRequest[]> {
    const rows = await this.query<{ doc: string }>(
      "SELECT doc FROM requests WHERE state = 'PENDING' AND request_expires <= $1 ORDER BY request_expires, position LIMIT $2",
      [now.toISOString(), limit],
    );
    return rows.map((r) => JSON.parse(r.doc) as AccessRequest);
  }

  async dueBacklog(now: Date, countLimit: number): Promise<DueBacklog> {
    const rows = await this.query<{ count: number; oldest: string | null }>(
      `SELECT
         (SELECT count(*) FROM (SELECT 1 FROM requests WHERE state = 'PENDING' AND request_expires <= $1 LIMIT $2) d) AS count,
         (SELECT min(request_expires) FROM requests WHERE state = 'PENDING' AND request_expires <= $1) AS oldest`,
      [now.toISOString(), countLimit],
    );
    return { count: rows[0]?.count ?? 0, oldestDue: rows[0]?.oldest ?? null };
  }

  async eventsSince(seq: number, limit: number): Promise<RequestEvent[]> {
    return (await this.query<sqlRows.EventRow>(SQL.eventsAfter, [seq, limit, Number.MAX_SAFE_INTEGER])).map(
      sqlRows.eventFromRow,
    );
  }

  async readEvents(seq: number, limit: EventReadLimit): Promise<StoredEvent[]> {
    const rows = await this.query<sqlRows.EventRow>(SQL.eventsAfter, [seq, limit.maxEvents, limit.maxBytes]);
    return rows.map((r) => ({ seq: r.seq, type: r.type, requestJson: r.request, at: r.at }));
  }

  async latestSeq(): Promise<number> {
    return (await this.query<{ seq: number }>('SELECT seq FROM event_head'))[0]?.seq ?? 0;
  }

  async firstSeq(): Promise<number | null> {
    return (await this.query<{ seq: number | null }>('SELECT min(seq) AS seq FROM events'))[0]?.seq ?? null;
  }

  async pruneEventsBefore(before: Date): Promise<number> {
    const cutoff = before.toISOString();
    let total = 0;
    for (;;) {
      // The oldest events through the time index (a range read, never a scan of the log); a
      // chunk at a time keeps each transaction short.
      const deleted = await this.write(
        async () =>
          (
            await this.pool.query(
              'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE at < $1 ORDER BY at LIMIT $2)',
              [cutoff, PRUNE_CHUNK],
            )
          ).rowCount ?? 0,
      );
      total += deleted;
      if (deleted < PRUNE_CHUNK) return total;
    }
  }

  onCommit(listener: CommitListener): () => void {
    return this.feed.subscribe(listener);
  }

  /** Whether this replica runs the cluster-wide singleton `name` now (one replica at a time). */
  holdsSingleton(name: SingletonName): Promise<boolean> {
    return this.singletons.holds(name);
  }

  async listUsers(): Promise<User[]> {
    return (await this.query<{ doc: string }>('SELECT doc FROM users ORDER BY name')).map(
      (r) => JSON.parse(r.doc) as User,
    );
  }

  async listUsersPage(after: string, limit: number): Promise<User[]> {
    return (
      await this.query<{ doc: string }>('SELECT doc FROM users WHERE name > $1 ORDER BY name LIMIT $2', [
        after,
        limit,
      ])
    ).map((r) => JSON.parse(r.doc) as User);
  }

  async getUser(name: string): Promise<User | null> {
    const rows = await this.query<{ doc: string }>('SELECT doc FROM users WHERE name = $1', [name]);
    return rows[0] ? (JSON.parse(rows[0].doc) as User) : null;
  }

  async findUserByEmail(email: string): Promise<User | null> {
    const rows = await this.query<{ doc: string }>(
      'SELECT doc FROM users WHERE email_lc = $1 ORDER BY name LIMIT 1',
      [email.trim().toLowerCase()],
    );
    return rows[0] ? (JSON.parse(rows[0].doc) as User) : null;
  }

  async findUsersByTrait(trait: string, value: string): Promise<User[]> {
    const users = await this.listUsers();
    return users.filter((u) => Object.hasOwn(u.traits, trait) && (u.traits[trait] ?? []).includes(value));
  }

  async putUser(user: User): Promise<void> {
    await this.write(() =>
      this.pool.query(SQL.putUser, [
        user.name,
        user.email?.trim().toLowerCase() ?? null,
        JSON.stringify(user),
      ]),
    );
  }

  async deleteUser(name: string): Promise<boolean> {
    return this.transaction(async (c) => {
      await c.query('DELETE FROM tokens WHERE "user" = $1', [name]);
      return ((await c.query('DELETE FROM users WHERE name = $1', [name])).rowCount ?? 0) > 0;
    });
  }

  async createFirstUser(user: User, token: TokenRecord): Promise<boolean> {
    return this.transaction(async (c) => {
      // Replicas starting together take turns here, so only one of them creates the first user.
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCK_KEYS.firstUser]);
      if ((await c.query('SELECT 1 FROM users LIMIT 1')).rowCount) return false;
      await c.query(SQL.putUser, [user.name, user.email?.trim().toLowerCase() ?? null, JSON.stringify(user)]);
      await c.query(SQL.putToken, sqlRows.tokenRowValues(token));
      return true;
    });
  }

  async hasUsers(): Promise<boolean> {
    return (await this.query('SELECT 1 FROM users LIMIT 1')).length > 0;
  }

  async listRoles(): Promise<Role[]> {
    return (await this.query<{ doc: string }>('SELECT doc FROM roles ORDER BY name')).map(
      (r) => JSON.parse(r.doc) as Role,
    );
  }

  async getRole(name: string): Promise<Role | null> {
    const rows = await this.query<{ doc: string }>('SELECT doc FROM roles WHERE name = $1', [name]);
    return rows[0] ? (JSON.parse(rows[0].doc) as Role) : null;
  }

  async putRoles(roles: Role[]): Promise<void> {
    await this.transaction(async (c) => {
      for (const role of roles) {
        await c.query(
          'INSERT INTO roles (name, doc) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET doc = excluded.doc',
          [role.metadata.name, JSON.stringify(role)],
        );
      }
    });
  }

  async deleteRole(name: string): Promise<boolean> {
    return this.write(
      async () => ((await this.pool.query('DELETE FROM roles WHERE name = $1', [name])).rowCount ?? 0) > 0,
    );
  }

  async putToken(token: TokenRecord): Promise<void> {
    await this.write(() => this.pool.query(SQL.putToken, sqlRows.tokenRowValues(token)));
  }

  async findToken(hash: string): Promise<TokenRecord | null> {
    const row = (
      await this.query<sqlRows.TokenRow>(
        'SELECT hash, "user", created, expires, description FROM tokens WHERE hash = $1',
        [hash],
      )
    )[0];
    return row ? sqlRows.tokenFromRow(row) : null;
  }

  async deleteTokens(user: string, description?: string): Promise<number> {
    return this.write(async () => {
      const result =
        description === undefined
          ? await this.pool.query('DELETE FROM tokens WHERE "user" = $1', [user])
          : await this.pool.query('DELETE FROM tokens WHERE "user" = $1 AND description = $2', [
              user,
              description,
            ]);
      return result.rowCount ?? 0;
    });
  }

  async isEmpty(): Promise<boolean> {
    const rows = await this.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM (SELECT 1 FROM users LIMIT 1) u) + (SELECT count(*) FROM (SELECT 1 FROM roles LIMIT 1) r) AS n',
    );
    return (rows[0]?.n ?? 0) === 0;
  }

  /** Waits until onCommit listeners have heard every event this replica has been told about (tests). */
  settled(): Promise<void> {
    return this.feed.settled();
  }

  async close(): Promise<void> {
    await this.feed.close();
    await this.listener.close();
    await this.singletons.close();
    await this.pool.end().catch(() => undefined);
  }
}
