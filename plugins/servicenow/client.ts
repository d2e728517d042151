// A small typed client for ServiceNow's Table API (/api/now/table/<table>) over fetch. It never
// retries on its own except once after a 401 with a fresh OAuth token: every failure becomes a
// PluginError carrying its retry meaning (429 → rate_limited with Retry-After, 401/403 → auth,
// other 4xx → permanent, 5xx and network → transient) and the host's queue does the waiting.
// Errors name ServiceNow's own `{error:{message,detail},status:"failure"}` text.

import { errorFromHttpStatus, transient } from '../../src/plugin-sdk/index.js';
import { type Authenticator, authenticator } from './auth.js';
import type { ServiceNowConfig } from './config.js';

/** A row as the Table API answers it with sysparm_exclude_reference_link=true: strings only. */
export type Row = Record<string, string>;

/** At most this many rows per page, and pages per listing: bounded reads. */
export const PAGE_SIZE = 100;
export const MAX_PAGES = 10;

export interface TableQuery {
  /** Encoded query (`a=b^cINx,y^ORDERBYDESCsys_updated_on`). */
  query?: string;
  fields?: string[];
  limit?: number;
  offset?: number;
}

/** The one character that ends an encoded-query value: a value holding it cannot be queried. */
export function queryValue(value: string): string {
  if (value.includes('^') || value.includes('\n')) throw new Error(`"${value}" cannot be used in a query`);
  return value;
}

export class ServiceNowApi {
  private readonly auth: Authenticator;
  private readonly base: string;
  /** Calls made (for the bench and tests that count cost). */
  calls = 0;

  constructor(private readonly config: Pick<ServiceNowConfig, 'auth' | 'instance_url' | 'timeout_ms'>) {
    this.auth = authenticator(config);
    this.base = config.instance_url.replace(/\/+$/, '');
  }

  private async call<T>(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    params: URLSearchParams,
    body?: unknown,
  ): Promise<T> {
    const url = `${this.base}${path}${params.size > 0 ? `?${params}` : ''}`;
    const what = `ServiceNow ${method} ${path}`;
    for (let attempt = 1; ; attempt++) {
      const authorization = await this.auth.header();
      let res: Response;
      let text: string;
      this.calls++;
      try {
        res = await fetch(url, {
          method,
          headers: {
            Accept: 'application/json',
            Authorization: authorization,
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.config.timeout_ms),
        });
        text = await res.text();
      } catch (err) {
        throw transient(`${what} failed: ${(err as Error).message}`);
      }
      if (
        res.status === 401 &&
        attempt === 1 &&
        this.auth.rejected(authorization) &&
        this.config.auth.type === 'oauth'
      )
        continue;
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = null;
      }
      if (res.ok) {
        // A proxy's HTML page with a 200 is not ServiceNow's answer.
        if (parsed === null || typeof parsed !== 'object' || !('result' in parsed))
          throw transient(`${what}: ${res.status} without a result`);
        return (parsed as { result: T }).result;
      }
      const error = (parsed as { error?: { message?: unknown; detail?: unknown } } | null)?.error;
      const detail = error
        ? [error.message, error.detail].filter((s) => typeof s === 'string' && s !== '').join(': ')
        : res.statusText;
      throw errorFromHttpStatus(
        res.status,
        `${what}: ${res.status} ${detail}`,
        res.headers.get('retry-after'),
      );
    }
  }

  private static params(q: TableQuery): URLSearchParams {
    const p = new URLSearchParams({ sysparm_exclude_reference_link: 'true' });
    if (q.query) p.set('sysparm_query', q.query);
    if (q.fields) p.set('sysparm_fields', q.fields.join(','));
    p.set('sysparm_limit', String(q.limit ?? PAGE_SIZE));
    if (q.offset) p.set('sysparm_offset', String(q.offset));
    return p;
  }

  async list(table: string, q: TableQuery): Promise<Row[]> {
    return this.call<Row[]>('GET', `/api/now/table/${table}`, ServiceNowApi.params(q));
  }

  /** Every row of a query, page by page, at most MAX_PAGES pages (then the newest pages win: order it). */
  async listAll(table: string, q: TableQuery): Promise<Row[]> {
    const rows: Row[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const batch = await this.list(table, { ...q, limit: PAGE_SIZE, offset: page * PAGE_SIZE });
      rows.push(...batch);
      if (batch.length < PAGE_SIZE) break;
    }
    return rows;
  }

  async first(table: string, query: string, fields: string[]): Promise<Row | null> {
    return (await this.list(table, { query, fields, limit: 1 }))[0] ?? null;
  }

  async get(table: string, sysId: string, fields: string[]): Promise<Row | null> {
    const rows = await this.list(table, { query: `sys_id=${queryValue(sysId)}`, fields, limit: 1 });
    return rows[0] ?? null;
  }

  async create(table: string, fields: Record<string, string>): Promise<Row> {
    return this.call<Row>(
      'POST',
      `/api/now/table/${table}`,
      new URLSearchParams({ sysparm_exclude_reference_link: 'true' }),
      fields,
    );
  }

  async update(table: string, sysId: string, fields: Record<string, string>): Promise<Row> {
    return this.call<Row>(
      'PATCH',
      `/api/now/table/${table}/${encodeURIComponent(sysId)}`,
      new URLSearchParams({ sysparm_exclude_reference_link: 'true' }),
      fields,
    );
  }

  /** Journal entries (`work_notes`, `comments`) of a record, newest first, at most `limit`. */
  async journal(recordSysId: string, element: 'work_notes' | 'comments', limit = PAGE_SIZE): Promise<Row[]> {
    return this.list('sys_journal_field', {
      query: `element_id=${queryValue(recordSysId)}^element=${element}^ORDERBYDESCsys_created_on`,
      fields: ['value', 'sys_created_by', 'sys_created_on'],
      limit,
    });
  }

  /** Who is on call in the given rotas at `at` (the on_call_rota scripted REST API). */
  async whoIsOnCall(rotaIds: string[], at: Date): Promise<Row[]> {
    const p = new URLSearchParams({ rota_ids: rotaIds.join(','), date_time: serviceNowDateTime(at) });
    return this.call<Row[]>('GET', '/api/now/on_call_rota/whoisoncall', p);
  }
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, the form ServiceNow's APIs take. */
export function serviceNowDateTime(at: Date): string {
  return at.toISOString().slice(0, 19).replace('T', ' ');
}
