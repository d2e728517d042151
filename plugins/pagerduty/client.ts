// A small typed client for PagerDuty's REST API v2 over fetch. It never retries: every failure
// becomes a PluginError carrying its retry meaning (429 → rate_limited with Retry-After,
// 401/403 → auth, other 4xx → permanent, 5xx and network → transient) and the host's
// delivery queue does the waiting.

import { errorFromHttpStatus, PluginError, transient } from '../../src/plugin-sdk/index.js';

export const PD_ACCEPT = 'application/vnd.pagerduty+json;version=2';
const PAGE_LIMIT = 100;
/** A runaway `more: true` must not loop forever. */
const MAX_PAGES = 100;

export interface PdReference {
  id: string;
  type: string;
  summary?: string;
}

export interface PdUser {
  id: string;
  name: string;
  email: string;
}

export interface PdService {
  id: string;
  name: string;
  escalation_policy: PdReference;
}

export interface PdOnCall {
  user: PdReference;
  schedule: PdReference | null;
  escalation_policy: PdReference;
  escalation_level: number;
}

export interface PdIncident {
  id: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  incident_key: string | null;
  html_url?: string;
  service: PdReference;
}

export interface NewIncident {
  title: string;
  serviceId: string;
  incidentKey: string;
  details: string;
  urgency: 'high' | 'low';
}

/** A write PagerDuty refused as invalid input (400), kept apart so callers can check why. */
export interface Rejected {
  rejected: PluginError;
}

interface Answer<T> {
  status: number;
  body: T;
  error?: PluginError;
}

type Query = Record<string, string | number | boolean | string[] | undefined>;

export class PagerDutyClient {
  constructor(
    private readonly opts: { baseUrl: string; apiKey: string; fromEmail: string; timeoutMs: number },
  ) {}

  private async call<T>(method: 'GET' | 'POST' | 'PUT', path: string, query: Query = {}, body?: unknown) {
    const url = new URL(
      path.replace(/^\//, ''),
      this.opts.baseUrl.endsWith('/') ? this.opts.baseUrl : `${this.opts.baseUrl}/`,
    );
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      // PagerDuty takes arrays as repeated `name[]` parameters.
      if (Array.isArray(value)) for (const v of value) url.searchParams.append(`${key}[]`, v);
      else url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      Accept: PD_ACCEPT,
      Authorization: `Token token=${this.opts.apiKey}`,
    };
    if (method !== 'GET') headers.From = this.opts.fromEmail;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const what = `PagerDuty ${method} ${path}`;
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
      // A proxy's HTML page with a 200 is not PagerDuty's answer.
      if (parsed === null || typeof parsed !== 'object')
        throw transient(`${what}: ${res.status} without a JSON body`);
      return { status: res.status, body: parsed as T } satisfies Answer<T>;
    }
    const pdErr = (parsed as { error?: { message?: string; code?: number; errors?: string[] } } | null)
      ?.error;
    const detail = pdErr
      ? `${pdErr.message ?? 'error'}${pdErr.code ? ` (code ${pdErr.code})` : ''}${pdErr.errors?.length ? `: ${pdErr.errors.join('; ')}` : ''}`
      : res.statusText;
    // PagerDuty documents ratelimit-reset (seconds); Retry-After wins when both are present.
    const retryAfter = res.headers.get('retry-after') ?? res.headers.get('ratelimit-reset');
    const error = errorFromHttpStatus(res.status, `${what}: ${res.status} ${detail}`, retryAfter);
    return { status: res.status, body: parsed as T, error } satisfies Answer<T>;
  }

  private async ok<T>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    query?: Query,
    body?: unknown,
  ): Promise<T> {
    const res = await this.call<T>(method, path, query, body);
    if (res.error) throw res.error;
    return res.body;
  }

  /** Every item of a classic offset/limit/more listing. `stop` ends early once it returns true. */
  private async listAll<T>(
    path: string,
    key: string,
    query: Query,
    stop?: (items: T[]) => boolean,
  ): Promise<T[]> {
    const items: T[] = [];
    let offset = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await this.ok<Record<string, unknown>>('GET', path, {
        ...query,
        limit: PAGE_LIMIT,
        offset,
      });
      const batch = (body[key] as T[] | undefined) ?? [];
      items.push(...batch);
      if (stop?.(items) || body.more !== true || batch.length === 0) return items;
      offset += batch.length;
    }
    throw transient(`PagerDuty GET ${path}: more than ${MAX_PAGES} pages`);
  }

  /** Cheap authenticated call: fails with `auth` when the key is wrong. */
  async abilities(): Promise<string[]> {
    const body = await this.ok<{ abilities?: string[] }>('GET', '/abilities');
    return body.abilities ?? [];
  }

  /** Exact, case-insensitive email match; PagerDuty's `query` is only a substring search. */
  async findUserByEmail(email: string): Promise<PdUser | null> {
    const wanted = email.toLowerCase();
    const match = (u: PdUser) => u.email?.toLowerCase() === wanted;
    const users = await this.listAll<PdUser>('/users', 'users', { query: email }, (all) => all.some(match));
    return users.find(match) ?? null;
  }

  /** Service names are unique per account and compared case-insensitively, as PagerDuty does. */
  async findServiceByName(name: string): Promise<PdService | null> {
    const wanted = name.toLowerCase();
    const match = (s: PdService) => s.name?.toLowerCase() === wanted;
    const services = await this.listAll<PdService>('/services', 'services', { query: name }, (all) =>
      all.some(match),
    );
    return services.find(match) ?? null;
  }

  /** Every schedule of the account (id and name), for checking `auto_approval.schedules`. */
  async listSchedules(): Promise<{ id: string; name: string }[]> {
    return this.listAll<{ id: string; name: string }>('/schedules', 'schedules', {});
  }

  async listOnCalls(userId: string, escalationPolicyIds: string[]): Promise<PdOnCall[]> {
    return this.listAll<PdOnCall>('/oncalls', 'oncalls', {
      user_ids: [userId],
      escalation_policy_ids: escalationPolicyIds,
    });
  }

  async findIncidentsByKey(incidentKey: string, serviceId: string): Promise<PdIncident[]> {
    return this.listAll<PdIncident>('/incidents', 'incidents', {
      incident_key: incidentKey,
      service_ids: [serviceId],
      date_range: 'all',
    });
  }

  async getIncident(id: string): Promise<PdIncident> {
    const body = await this.ok<{ incident: PdIncident }>('GET', `/incidents/${encodeURIComponent(id)}`);
    return body.incident;
  }

  async createIncident(input: NewIncident): Promise<PdIncident | Rejected> {
    const res = await this.call<{ incident: PdIncident }>(
      'POST',
      '/incidents',
      {},
      {
        incident: {
          type: 'incident',
          title: input.title,
          service: { id: input.serviceId, type: 'service_reference' },
          incident_key: input.incidentKey,
          urgency: input.urgency,
          body: { type: 'incident_body', details: input.details },
        },
      },
    );
    if (res.error) {
      if (res.status === 400) return { rejected: res.error };
      throw res.error;
    }
    return res.body.incident;
  }

  /** The notes of an incident (PagerDuty answers them all, oldest first). */
  async listNotes(incidentId: string): Promise<{ content: string }[]> {
    const body = await this.ok<{ notes?: { content?: string }[] }>(
      'GET',
      `/incidents/${encodeURIComponent(incidentId)}/notes`,
    );
    return (body.notes ?? []).map((note) => ({ content: note.content ?? '' }));
  }

  async addNote(incidentId: string, content: string): Promise<void> {
    await this.ok('POST', `/incidents/${encodeURIComponent(incidentId)}/notes`, {}, { note: { content } });
  }

  async resolveIncident(incidentId: string): Promise<PdIncident | Rejected> {
    const res = await this.call<{ incident: PdIncident }>(
      'PUT',
      `/incidents/${encodeURIComponent(incidentId)}`,
      {},
      {
        incident: { type: 'incident_reference', status: 'resolved' },
      },
    );
    if (res.error) {
      if (res.status === 400) return { rejected: res.error };
      throw res.error;
    }
    return res.body.incident;
  }
}

export const isRejected = (value: unknown): value is Rejected =>
  typeof value === 'object' && value !== null && 'rejected' in value && value.rejected instanceof PluginError;
