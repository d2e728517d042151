// SQLite store on better-sqlite3: the embedded default. One writer connection; each
// request change and its event are one transaction, so the event log never disagrees
// with the requests table. The notifier fires after commit, synchronously in seq order.

import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import { MAX_REQUEST_BYTES } from '../access/limits.js';
import type { AccessRequest, RequestEvent, Role, User } from '../access/types.js';
import { AccessbotError } from '../errors.js';
import { ensurePrivateFile, ensurePrivateFolder, fileProblem } from '../private-files.js';
import { migrate } from './migrations.js';
import * as sqlRows from './sql-rows.js';
import { requestPageSql } from './sqlite-request-page.js';
import { storeFailure } from './store-errors.js';
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

/** Events removed per DELETE when pruning the log: one short transaction each. */
const PRUNE_CHUNK = 500;
/** After a failed write, readiness tries a write this large (a maximum-size request) at most this often. */
const WRITE_PROBE_BYTES = MAX_REQUEST_BYTES;
const WRITE_PROBE_INTERVAL_MS = 1000;

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. The parent folder is created when missing. */
  path: string;
  now?: () => Date;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly notifier = new EventEmitter();
  private readonly now: () => Date;
  /**
   * Parsed roles, reused while nobody changed them: every API call reads all roles, and
   * parsing them each time was a quarter of a create's CPU. `data_version` moves when
   * another connection (another process on the same file) commits; our own role writes
   * clear the cache directly.
   */
  private rolesCache: { dataVersion: number; roles: Role[] } | undefined;

  /** The last write that failed for lack of space or access; cleared by the next write that works. */
  private writeFailure: AccessbotError | null = null;
  private lastProbe = 0;

  constructor(opts: SqliteStoreOptions) {
    const onDisk = opts.path !== ':memory:';
    // The database holds every request, email and reason: readable by its owner only.
    if (onDisk) {
      ensurePrivateFolder(opts.path, 'api.store.path', { parentOf: true });
      ensurePrivateFile(opts.path, 'api.store.path');
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(opts.path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      migrate(db);
    } catch (err) {
      db?.close();
      throw (
        fileProblem(err, opts.path, 'api.store.path', 'open the database') ?? storeFailure(err, opts.path)
      );
    }
    this.db = db;
    this.now = opts.now ?? (() => new Date());
    // Every watch connection subscribes; the default limit of 10 would only warn.
    this.notifier.setMaxListeners(0);
  }

  private preparedCache: ReturnType<SqliteStore['prepare']> | undefined;
  private get prepared(): ReturnType<SqliteStore['prepare']> {
    this.preparedCache ??= this.prepare();
    return this.preparedCache;
  }

  private prepare() {
    const db = this.db;
    return {
      insertRequest: db.prepare(
        'INSERT INTO requests (id, user, state, version, request_expires, doc) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      casRequest: db.prepare(
        'UPDATE requests SET user = ?, state = ?, version = ?, request_expires = ?, doc = ? WHERE id = ? AND version = ?',
      ),
      getRequest: db.prepare<[string], { doc: string }>('SELECT doc FROM requests WHERE id = ?'),
      deleteRequest: db.prepare('DELETE FROM requests WHERE id = ?'),
      dueRequests: db.prepare<[string, number], { doc: string }>(
        "SELECT doc FROM requests INDEXED BY requests_state_expires WHERE state = 'PENDING' AND request_expires <= ? ORDER BY request_expires LIMIT ?",
      ),
      dueCount: db.prepare<[string, number], { n: number }>(
        "SELECT count(*) AS n FROM (SELECT 1 FROM requests INDEXED BY requests_state_expires WHERE state = 'PENDING' AND request_expires <= ? LIMIT ?)",
      ),
      oldestDue: db.prepare<[string], { request_expires: string }>(
        "SELECT request_expires FROM requests INDEXED BY requests_state_expires WHERE state = 'PENDING' AND request_expires <= ? ORDER BY request_expires LIMIT 1",
      ),
      insertEvent: db.prepare('INSERT INTO events (request_id, type, request, at) VALUES (?, ?, ?, ?)'),
      eventsSince: db.prepare<[number, number], sqlRows.EventRow>(
        'SELECT seq, type, request, at FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      firstSeq: db.prepare<[], { seq: number | null }>('SELECT MIN(seq) AS seq FROM events'),
      // The oldest events through the time index (a range read, never a scan of the log); a
      // chunk at a time keeps the write lock short.
      pruneEvents: db.prepare<[string, number]>(
        'DELETE FROM events WHERE seq IN (SELECT seq FROM events INDEXED BY events_at WHERE at < ? ORDER BY at LIMIT ?)',
      ),
      // sqlite_sequence keeps the high-water mark even when the newest events are pruned.
      latestSeq: db.prepare<[], { seq: number | null }>(
        "SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'events') AS seq",
      ),
      listUsers: db.prepare<[], { doc: string }>('SELECT doc FROM users ORDER BY name'),
      usersPage: db.prepare<[string, number], { doc: string }>(
        'SELECT doc FROM users WHERE name > ? ORDER BY name LIMIT ?',
      ),
      getUser: db.prepare<[string], { doc: string }>('SELECT doc FROM users WHERE name = ?'),
      userByEmail: db.prepare<[string], { doc: string }>(
        'SELECT doc FROM users WHERE email_lc = ? ORDER BY name LIMIT 1',
      ),
      putUser: db.prepare(
        'INSERT INTO users (name, email_lc, doc) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET email_lc = excluded.email_lc, doc = excluded.doc',
      ),
      deleteUser: db.prepare('DELETE FROM users WHERE name = ?'),
      listRoles: db.prepare<[], { doc: string }>('SELECT doc FROM roles ORDER BY name'),
      getRole: db.prepare<[string], { doc: string }>('SELECT doc FROM roles WHERE name = ?'),
      putRole: db.prepare(
        'INSERT INTO roles (name, doc) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET doc = excluded.doc',
      ),
      deleteRole: db.prepare('DELETE FROM roles WHERE name = ?'),
      putToken: db.prepare(
        'INSERT INTO tokens (hash, user, created, expires, description) VALUES (?, ?, ?, ?, ?)',
      ),
      findToken: db.prepare<[string], sqlRows.TokenRow>(
        'SELECT hash, user, created, expires, description FROM tokens WHERE hash = ?',
      ),
      deleteUserTokens: db.prepare('DELETE FROM tokens WHERE user = ?'),
      deleteUserTokensByDescription: db.prepare('DELETE FROM tokens WHERE user = ? AND description = ?'),
      counts: db.prepare<[], { users: number; roles: number }>(
        'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM roles) AS roles',
      ),
    };
  }

  /** Appends the event for a change already applied inside the current transaction. */
  private appendEvent(type: 'put' | 'delete', request: AccessRequest, requestJson: string): RequestEvent {
    const at = this.now().toISOString();
    const info = this.prepared.insertEvent.run(request.id, type, requestJson, at);
    return { seq: Number(info.lastInsertRowid), type, request, at };
  }

  private commit<T extends RequestEvent>(write: () => T): T {
    const event = this.write(() => this.db.transaction(write).immediate());
    this.notifier.emit('event', event);
    return event;
  }

  /**
   * Runs a write; a full disk or a store that cannot be written becomes a typed error (and is
   * remembered for readiness), anything else passes through unchanged.
   */
  private write<T>(run: () => T): T {
    try {
      const result = run();
      this.writeFailure = null;
      return result;
    } catch (err) {
      if (err instanceof AccessbotError) throw err;
      const failure = storeFailure(err, this.db.name);
      if (failure.code === 'STORAGE_FULL' || failure.code === 'STORE_UNAVAILABLE')
        this.writeFailure = failure;
      throw failure;
    }
  }

  async writeProblem(): Promise<AccessbotError | null> {
    if (!this.writeFailure) return null;
    const now = Date.now();
    if (now - this.lastProbe < WRITE_PROBE_INTERVAL_MS) return this.writeFailure;
    this.lastProbe = now;
    // A real write of a maximum-size row, committed and then removed: a full disk (or a
    // capped file) fails it exactly as it fails a create.
    try {
      this.write(() => {
        this.db.prepare('INSERT INTO write_probe (id, data) VALUES (1, zeroblob(?))').run(WRITE_PROBE_BYTES);
        this.db.prepare('DELETE FROM write_probe').run();
      });
    } catch {
      // writeFailure was set again by write()
    }
    return this.writeFailure;
  }

  /**
   * Caps the database file at `bytes` (PRAGMA max_page_count): a write past it fails with
   * SQLITE_FULL exactly as a full disk does. Tests use it to exercise the full-disk path.
   */
  capFileSize(bytes: number): void {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pageCount = this.db.pragma('page_count', { simple: true }) as number;
    this.db.pragma(`max_page_count = ${Math.max(pageCount, Math.ceil(bytes / pageSize))}`);
  }

  async createRequest(request: AccessRequest): Promise<RequestEvent> {
    const json = sqlRows.newRequestJson(request);
    return this.commit(() => {
      try {
        this.prepared.insertRequest.run(...sqlRows.requestRowValues(request, json));
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new AccessbotError('CONFLICT', `request ${request.id} already exists`);
        }
        throw err;
      }
      return this.appendEvent('put', request, json);
    });
  }

  /** better-sqlite3 binds `?` only in order (no `?NNN`), so the id comes after the columns set. */
  private compareAndSet(request: AccessRequest, json: string, expectedVersion: number): Database.RunResult {
    const [id, ...columns] = sqlRows.requestRowValues(request, json);
    return this.prepared.casRequest.run(...columns, id, expectedVersion);
  }

  async updateRequest(request: AccessRequest, expectedVersion: number): Promise<RequestEvent> {
    const json = JSON.stringify(request);
    return this.commit(() => {
      const info = this.compareAndSet(request, json, expectedVersion);
      if (info.changes === 0) {
        if (!this.prepared.getRequest.get(request.id)) {
          throw new AccessbotError('REQUEST_NOT_FOUND', `no access request ${request.id}`);
        }
        throw new AccessbotError('CONFLICT', `request ${request.id} changed meanwhile; read it again`);
      }
      return this.appendEvent('put', request, json);
    });
  }

  async updateRequestsIfUnchanged(updates: ConditionalUpdate[]): Promise<RequestEvent[]> {
    if (updates.length === 0) return [];
    const rows = updates.map((u) => ({ ...u, json: JSON.stringify(u.request) }));
    const events = this.write(() =>
      this.db
        .transaction(() => {
          const written: RequestEvent[] = [];
          for (const { request, expectedVersion, json } of rows) {
            const info = this.compareAndSet(request, json, expectedVersion);
            if (info.changes > 0) written.push(this.appendEvent('put', request, json));
          }
          return written;
        })
        .immediate(),
    );
    for (const event of events) this.notifier.emit('event', event);
    return events;
  }

  async deleteRequest(id: string): Promise<RequestEvent> {
    return this.commit(() => {
      const row = this.prepared.getRequest.get(id);
      if (!row) throw new AccessbotError('REQUEST_NOT_FOUND', `no access request ${id}`);
      this.prepared.deleteRequest.run(id);
      return this.appendEvent('delete', JSON.parse(row.doc) as AccessRequest, row.doc);
    });
  }

  async getRequest(id: string): Promise<AccessRequest | null> {
    const row = this.prepared.getRequest.get(id);
    return row ? (JSON.parse(row.doc) as AccessRequest) : null;
  }

  async listRequestsPage(query: RequestPageQuery): Promise<PositionedRequest[]> {
    const { sql, params } = requestPageSql(query);
    // Row by row, so a byte budget bounds what is held even when every row is large.
    const out: PositionedRequest[] = [];
    let total = 0;
    for (const row of this.db
      .prepare<(string | number)[], { position: number; doc: string }>(sql)
      .iterate(...params)) {
      const bytes = Buffer.byteLength(row.doc, 'utf8');
      out.push({ position: row.position, request: JSON.parse(row.doc) as AccessRequest, bytes });
      total += bytes;
      if (query.maxBytes !== undefined && total >= query.maxBytes) break;
    }
    return out;
  }

  /** SQLite's plan for a page query (EXPLAIN QUERY PLAN details): tests check each is a range read. */
  explainRequestsPage(query: RequestPageQuery): string[] {
    const { sql, params } = requestPageSql(query);
    return this.explain(sql, params);
  }

  /** SQLite's plan for one of the store's fixed statements, by name (tests only). */
  explainStatement(
    name: 'dueRequests' | 'dueCount' | 'oldestDue' | 'eventsSince' | 'pruneEvents' | 'usersPage',
  ): string[] {
    const params: Record<typeof name, (string | number)[]> = {
      dueRequests: ['2026-01-01T00:00:00.000Z', 100],
      dueCount: ['2026-01-01T00:00:00.000Z', 100],
      oldestDue: ['2026-01-01T00:00:00.000Z'],
      eventsSince: [0, 100],
      pruneEvents: ['2026-01-01T00:00:00.000Z', 100],
      usersPage: ['', 100],
    };
    return this.explain(this.prepared[name].source, params[name]);
  }

  private explain(sql: string, params: (string | number)[]): string[] {
    return this.db
      .prepare<(string | number)[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
      .all(...params)
      .map((r) => r.detail);
  }

  async listDueRequests(now: Date, limit: number): Promise<AccessRequest[]> {
    return this.prepared.dueRequests
      .all(now.toISOString(), limit)
      .map((r) => JSON.parse(r.doc) as AccessRequest);
  }

  async dueBacklog(now: Date, countLimit: number): Promise<DueBacklog> {
    const at = now.toISOString();
    return {
      count: this.prepared.dueCount.get(at, countLimit)?.n ?? 0,
      oldestDue: this.prepared.oldestDue.get(at)?.request_expires ?? null,
    };
  }

  async eventsSince(seq: number, limit: number): Promise<RequestEvent[]> {
    return this.prepared.eventsSince.all(seq, limit).map(sqlRows.eventFromRow);
  }

  async readEvents(seq: number, limit: EventReadLimit): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    let total = 0;
    for (const row of this.prepared.eventsSince.iterate(seq, limit.maxEvents)) {
      out.push({ seq: row.seq, type: row.type, requestJson: row.request, at: row.at });
      total += Buffer.byteLength(row.request, 'utf8');
      if (total >= limit.maxBytes) break;
    }
    return out;
  }

  async latestSeq(): Promise<number> {
    return this.prepared.latestSeq.get()?.seq ?? 0;
  }

  async firstSeq(): Promise<number | null> {
    return this.prepared.firstSeq.get()?.seq ?? null;
  }

  async pruneEventsBefore(before: Date): Promise<number> {
    const cutoff = before.toISOString();
    let total = 0;
    for (;;) {
      const { changes } = this.prepared.pruneEvents.run(cutoff, PRUNE_CHUNK);
      total += changes;
      if (changes < PRUNE_CHUNK) return total;
      // Let other work (API calls) in between chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  onCommit(listener: CommitListener): () => void {
    this.notifier.on('event', listener);
    return () => this.notifier.off('event', listener);
  }

  /** One process owns the file: it runs every singleton. */
  async holdsSingleton(_name: SingletonName): Promise<boolean> {
    return true;
  }

  async listUsers(): Promise<User[]> {
    return this.prepared.listUsers.all().map((r) => JSON.parse(r.doc) as User);
  }

  async listUsersPage(after: string, limit: number): Promise<User[]> {
    return this.prepared.usersPage.all(after, limit).map((r) => JSON.parse(r.doc) as User);
  }

  async getUser(name: string): Promise<User | null> {
    const row = this.prepared.getUser.get(name);
    return row ? (JSON.parse(row.doc) as User) : null;
  }

  async findUserByEmail(email: string): Promise<User | null> {
    const row = this.prepared.userByEmail.get(email.trim().toLowerCase());
    return row ? (JSON.parse(row.doc) as User) : null;
  }

  async findUsersByTrait(trait: string, value: string): Promise<User[]> {
    // Traits are free-form JSON; a scan is fine at the size of a user directory.
    const users = await this.listUsers();
    return users.filter((u) => Object.hasOwn(u.traits, trait) && (u.traits[trait] ?? []).includes(value));
  }

  async putUser(user: User): Promise<void> {
    this.write(() =>
      this.prepared.putUser.run(user.name, user.email?.trim().toLowerCase() ?? null, JSON.stringify(user)),
    );
  }

  async deleteUser(name: string): Promise<boolean> {
    return this.write(() =>
      this.db.transaction(() => {
        this.prepared.deleteUserTokens.run(name);
        return this.prepared.deleteUser.run(name).changes > 0;
      })(),
    );
  }

  async createFirstUser(user: User, token: TokenRecord): Promise<boolean> {
    return this.write(() =>
      this.db.transaction(() => {
        if (this.prepared.counts.get()?.users) return false;
        this.prepared.putUser.run(user.name, user.email?.trim().toLowerCase() ?? null, JSON.stringify(user));
        this.insertToken(token);
        return true;
      })(),
    );
  }

  async hasUsers(): Promise<boolean> {
    return (this.prepared.counts.get()?.users ?? 0) > 0;
  }

  async listRoles(): Promise<Role[]> {
    const dataVersion = this.db.pragma('data_version', { simple: true }) as number;
    if (this.rolesCache?.dataVersion !== dataVersion) {
      const roles = this.prepared.listRoles.all().map((r) => JSON.parse(r.doc) as Role);
      this.rolesCache = { dataVersion, roles };
    }
    return [...this.rolesCache.roles];
  }

  async getRole(name: string): Promise<Role | null> {
    const row = this.prepared.getRole.get(name);
    return row ? (JSON.parse(row.doc) as Role) : null;
  }

  async putRoles(roles: Role[]): Promise<void> {
    this.rolesCache = undefined;
    this.write(() =>
      this.db.transaction(() => {
        for (const role of roles) this.prepared.putRole.run(role.metadata.name, JSON.stringify(role));
      })(),
    );
  }

  async deleteRole(name: string): Promise<boolean> {
    this.rolesCache = undefined;
    return this.write(() => this.prepared.deleteRole.run(name).changes > 0);
  }

  async putToken(token: TokenRecord): Promise<void> {
    this.write(() => this.insertToken(token));
  }

  private insertToken(token: TokenRecord): void {
    this.prepared.putToken.run(...sqlRows.tokenRowValues(token));
  }

  async findToken(hash: string): Promise<TokenRecord | null> {
    const row = this.prepared.findToken.get(hash);
    return row ? sqlRows.tokenFromRow(row) : null;
  }

  async deleteTokens(user: string, description?: string): Promise<number> {
    const info = this.write(() =>
      description === undefined
        ? this.prepared.deleteUserTokens.run(user)
        : this.prepared.deleteUserTokensByDescription.run(user, description),
    );
    return info.changes;
  }

  async isEmpty(): Promise<boolean> {
    const c = this.prepared.counts.get();
    return !c || (c.users === 0 && c.roles === 0);
  }

  async close(): Promise<void> {
    this.notifier.removeAllListeners();
    if (this.db.open) this.db.close();
  }
}
