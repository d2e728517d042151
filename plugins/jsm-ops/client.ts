// A small typed client for JSM Operations and Opsgenie over fetch, one code path for both
// (the differences live in dialect.ts). It never retries: every failure becomes a PluginError
// carrying its retry meaning (429 → rate_limited with the platform's wait, 401/403 → auth,
// other 4xx → permanent, 5xx and network → transient) and the host's queue does the waiting.
// Alert writes are asynchronous on both platforms; `settle` waits, bounded, for the outcome.

import { errorFromHttpStatus, permanent, transient } from '../../src/plugin-sdk/index.js';
import type { Dialect, Endpoint, OnCallRoster } from './dialect.js';

/** A runaway `next` link must not loop forever. */
const MAX_PAGES = 50;

export interface OpsAlert {
  id: string;
  alias: string;
  status: 'open' | 'closed' | string;
  tinyId?: string;
  message?: string;
}

export interface OpsNote {
  note: string;
}

export interface NewAlert {
  message: string;
  alias: string;
  description: string;
  responders: { type: string; id?: string; name?: string }[];
  tags: string[];
  priority: string;
  source: string;
}

/** What an asynchronous write came to, once the platform processed it. */
export interface Settled {
  isSuccess: boolean;
  status: string;
  alertId?: string;
}

export interface Answer<T> {
  status: number;
  body: T;
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};

export class OpsClient {
  constructor(
    readonly dialect: Dialect,
    private readonly opts: { timeoutMs: number; processingWaitMs: number },
  ) {}

  /** One call; a non-2xx answer is thrown unless its status is in `allow`. */
  async call<T = unknown>(
    method: 'GET' | 'POST',
    endpoint: Endpoint,
    body?: unknown,
    allow: number[] = [],
  ): Promise<Answer<T>> {
    const url = new URL(`${this.dialect.root}${endpoint.path}`);
    for (const [key, value] of Object.entries(endpoint.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: this.dialect.authorization,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const what = `${this.dialect.product} ${method} ${endpoint.path}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw transient(`${what} failed: ${(err as Error).message}`, err);
    }
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (res.ok) {
      // A proxy's HTML page with a 200 is not the platform's answer.
      if (parsed === null || typeof parsed !== 'object')
        throw transient(`${what}: ${res.status} without a JSON body`);
      return { status: res.status, body: parsed as T };
    }
    if (allow.includes(res.status)) return { status: res.status, body: parsed as T };
    const detail = this.dialect.errorDetail(parsed) ?? res.statusText;
    throw errorFromHttpStatus(
      res.status,
      `${what}: ${res.status} ${detail}`,
      this.dialect.retryAfter(res.headers),
    );
  }

  /** Cheap authenticated read: throws `auth` on a bad key, `permanent` 404 on an unknown site. */
  async probe(): Promise<void> {
    await this.call('GET', this.dialect.probe);
  }

  /** The open alert with this alias, if any (both platforms resolve aliases of open alerts). */
  async openAlertByAlias(alias: string): Promise<OpsAlert | null> {
    const res = await this.call('GET', this.dialect.alertByAlias(alias), undefined, [404]);
    if (res.status === 404) return null;
    const alert = this.dialect.unwrap(res.body) as OpsAlert;
    return alert?.status === 'open' ? alert : null;
  }

  async getAlert(id: string): Promise<OpsAlert> {
    const res = await this.call('GET', this.dialect.alert(id));
    return this.dialect.unwrap(res.body) as OpsAlert;
  }

  /** Every note of an alert, oldest first. */
  async listNotes(alertId: string): Promise<OpsNote[]> {
    const notes: OpsNote[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.call('GET', this.dialect.notes(alertId, cursor));
      const { items, nextCursor } = this.dialect.page(res.body);
      for (const item of items) notes.push({ note: String(obj(item).note ?? '') });
      if (!nextCursor || items.length === 0) return notes;
      cursor = nextCursor;
    }
    throw transient(`${this.dialect.product}: more than ${MAX_PAGES} pages of notes on alert ${alertId}`);
  }

  /** Accepts the alert and waits for it to exist; alias de-duplication makes a repeat harmless. */
  async createAlert(alert: NewAlert): Promise<Settled> {
    const body = {
      message: alert.message,
      alias: alert.alias,
      description: alert.description,
      responders: alert.responders,
      tags: alert.tags,
      priority: alert.priority,
      source: alert.source,
    };
    return this.settle(await this.accepted('POST', this.dialect.createAlert, body));
  }

  async addNote(alertId: string, note: string): Promise<Settled> {
    return this.settle(
      await this.accepted('POST', this.dialect.addNote(alertId), { note, source: 'accessbot' }),
    );
  }

  async closeAlert(alertId: string, note: string): Promise<Settled> {
    return this.settle(
      await this.accepted('POST', this.dialect.close(alertId), { note, source: 'accessbot' }),
    );
  }

  /** The schedule's id and name, or null when the platform knows no such schedule. */
  async schedule(idOrName: string): Promise<{ id: string; name?: string } | null> {
    const res = await this.call('GET', this.dialect.schedule(idOrName), undefined, [404]);
    if (res.status === 404) return null;
    const s = obj(this.dialect.unwrap(res.body));
    return {
      id: typeof s.id === 'string' ? s.id : idOrName,
      ...(typeof s.name === 'string' ? { name: s.name } : {}),
    };
  }

  /** Who is on call for the schedule now (flat: people only). Null when the schedule is unknown. */
  async onCall(idOrName: string): Promise<OnCallRoster | null> {
    const res = await this.call('GET', this.dialect.onCalls(idOrName), undefined, [404]);
    if (res.status === 404) return null;
    return this.dialect.roster(res.body, idOrName);
  }

  /** The requestId of an accepted asynchronous write. */
  private async accepted(method: 'POST', endpoint: Endpoint, body: unknown): Promise<string> {
    const res = await this.call('POST', endpoint, body);
    const requestId = obj(res.body).requestId;
    if (typeof requestId !== 'string' || !requestId)
      throw transient(`${this.dialect.product} ${method} ${endpoint.path}: accepted without a requestId`);
    return requestId;
  }

  /**
   * Polls the request status until the platform processed the write (it answers 404 until then).
   * Bounded by `processingWaitMs`; past it the job fails as transient and its retry finds the
   * alert by alias rather than writing blind.
   */
  async settle(requestId: string): Promise<Settled> {
    const deadline = Date.now() + this.opts.processingWaitMs;
    // The platform never has it done at once: polling before a first short wait only adds a 404.
    let wait = 20;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      const res = await this.call('GET', this.dialect.requestStatus(requestId), undefined, [404]);
      if (res.status !== 404) {
        const s = obj(this.dialect.unwrap(res.body));
        return {
          isSuccess: s.isSuccess === true,
          status: typeof s.status === 'string' ? s.status : '',
          ...(typeof s.alertId === 'string' && s.alertId ? { alertId: s.alertId } : {}),
        };
      }
      wait = Math.min(wait * 2, 500);
      if (Date.now() + wait > deadline)
        throw transient(
          `${this.dialect.product}: request ${requestId} not processed within ${this.opts.processingWaitMs} ms`,
        );
    }
  }
}

/** A processed write the platform refused (e.g. the alert was deleted meanwhile). */
export function refused(product: string, what: string, settled: Settled) {
  return permanent(`${product} refused to ${what}: ${settled.status || 'no reason given'}`);
}
