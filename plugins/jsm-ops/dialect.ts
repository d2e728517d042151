// What differs between JSM Operations and Opsgenie, and nothing else: where the API lives, how
// it authenticates, how answers are wrapped and listed, how errors read, how alert and schedule
// paths name their identifiers, and which header says how long to wait after a 429. The rest of
// the plugin speaks one resource model through this.

import { JSM_BASE_URL, type JsmOpsConfig, OPSGENIE_BASE_URLS } from './config.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface Endpoint {
  path: string;
  query?: Query;
}

/** A person the platform says is on call: JSM answers account ids, Opsgenie usernames (emails). */
export type OnCallPerson = { email: string } | { accountId: string };

export interface OnCallRoster {
  /** The schedule as the platform names it (JSM's on-call answer carries no name). */
  schedule: { id: string; name?: string };
  people: OnCallPerson[];
}

export interface Dialect {
  flavor: 'jsm' | 'opsgenie';
  /** For messages: `JSM Operations` or `Opsgenie`. */
  product: string;
  /** API root every path below is relative to. */
  root: string;
  authorization: string;
  /** A cheap authenticated read (health, and the bench's bare GET). */
  probe: Endpoint;
  createAlert: Endpoint;
  requestStatus(requestId: string): Endpoint;
  alertByAlias(alias: string): Endpoint;
  alert(id: string): Endpoint;
  notes(id: string, cursor?: string): Endpoint;
  addNote(id: string): Endpoint;
  close(id: string): Endpoint;
  schedule(idOrName: string): Endpoint;
  onCalls(idOrName: string): Endpoint;
  /** The object inside a single-object answer. */
  unwrap(body: unknown): unknown;
  /** The items of a listing and the cursor of its next page, if any. */
  page(body: unknown): { items: unknown[]; nextCursor?: string };
  /** The schedule and people in an on-call answer (flat form) for the schedule asked by `asked`. */
  roster(body: unknown, asked: string): OnCallRoster;
  /** The platform's own words in an error body. */
  errorDetail(body: unknown): string | undefined;
  /** Seconds (or a date) to wait after a 429, from the headers this platform sends. */
  retryAfter(headers: Headers): string | null;
}

const enc = encodeURIComponent;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s) => typeof s === 'string') : []);
/** A `next` link's cursor parameter, if the link has one. */
const cursorOf = (next: unknown, name: string): string | undefined => {
  if (typeof next !== 'string' || !next) return undefined;
  return new URL(next, 'https://x.invalid').searchParams.get(name) ?? undefined;
};
const trimSlash = (url: string) => url.replace(/\/+$/, '');

function jsmDialect(config: JsmOpsConfig): Dialect {
  const host = trimSlash(config.base_url ?? JSM_BASE_URL);
  const token = Buffer.from(`${config.email}:${config.api_token}`).toString('base64');
  return {
    flavor: 'jsm',
    product: 'JSM Operations',
    root: `${host}/jsm/ops/api/${enc(config.cloud_id ?? '')}/v1`,
    authorization: `Basic ${token}`,
    probe: { path: '/alerts', query: { size: 1 } },
    createAlert: { path: '/alerts' },
    requestStatus: (id) => ({ path: `/alerts/requests/${enc(id)}` }),
    alertByAlias: (alias) => ({ path: '/alerts/alias', query: { alias } }),
    alert: (id) => ({ path: `/alerts/${enc(id)}` }),
    notes: (id, cursor) => ({
      path: `/alerts/${enc(id)}/notes`,
      query: { limit: 100, order: 'asc', after: cursor },
    }),
    addNote: (id) => ({ path: `/alerts/${enc(id)}/notes` }),
    close: (id) => ({ path: `/alerts/${enc(id)}/close` }),
    schedule: (id) => ({ path: `/schedules/${enc(id)}` }),
    onCalls: (id) => ({ path: `/schedules/${enc(id)}/on-calls`, query: { flat: true } }),
    unwrap: (body) => body,
    page(body) {
      const b = obj(body);
      const nextCursor = cursorOf(obj(b.links).next, 'after');
      return { items: Array.isArray(b.values) ? b.values : [], ...(nextCursor ? { nextCursor } : {}) };
    },
    roster: (body, asked) => ({
      schedule: { id: asked },
      people: strings(obj(body).onCallUsers).map((accountId) => ({ accountId })),
    }),
    errorDetail(body) {
      const b = obj(body);
      const errors = Array.isArray(b.errors) ? b.errors.map(obj) : [];
      const titles = errors.map((e) => e.title).filter((t) => typeof t === 'string');
      if (titles.length > 0) return titles.join('; ');
      return typeof b.message === 'string' ? b.message : undefined;
    },
    retryAfter: (headers) => headers.get('retry-after') ?? headers.get('x-ratelimit-reset'),
  };
}

function opsgenieDialect(config: JsmOpsConfig): Dialect {
  const host = trimSlash(config.base_url ?? OPSGENIE_BASE_URLS[config.region]);
  // Opsgenie takes a schedule by id or by name; ids are UUIDs.
  const scheduleType = (idOrName: string) => (UUID.test(idOrName) ? 'id' : 'name');
  return {
    flavor: 'opsgenie',
    product: 'Opsgenie',
    root: `${host}/v2`,
    authorization: `GenieKey ${config.api_key}`,
    probe: { path: '/alerts', query: { limit: 1 } },
    createAlert: { path: '/alerts' },
    requestStatus: (id) => ({ path: `/alerts/requests/${enc(id)}` }),
    alertByAlias: (alias) => ({ path: `/alerts/${enc(alias)}`, query: { identifierType: 'alias' } }),
    alert: (id) => ({ path: `/alerts/${enc(id)}`, query: { identifierType: 'id' } }),
    notes: (id, cursor) => ({
      path: `/alerts/${enc(id)}/notes`,
      query: {
        identifierType: 'id',
        limit: 100,
        order: 'asc',
        ...(cursor ? { direction: 'next', offset: cursor } : {}),
      },
    }),
    addNote: (id) => ({ path: `/alerts/${enc(id)}/notes`, query: { identifierType: 'id' } }),
    close: (id) => ({ path: `/alerts/${enc(id)}/close`, query: { identifierType: 'id' } }),
    schedule: (s) => ({ path: `/schedules/${enc(s)}`, query: { identifierType: scheduleType(s) } }),
    onCalls: (s) => ({
      path: `/schedules/${enc(s)}/on-calls`,
      query: { scheduleIdentifierType: scheduleType(s), flat: true },
    }),
    unwrap: (body) => obj(body).data,
    page(body) {
      const b = obj(body);
      const nextCursor = cursorOf(obj(b.paging).next, 'offset');
      return { items: Array.isArray(b.data) ? b.data : [], ...(nextCursor ? { nextCursor } : {}) };
    },
    roster(body, asked) {
      const data = obj(obj(body).data);
      const parent = obj(data._parent);
      return {
        schedule: {
          id: typeof parent.id === 'string' ? parent.id : asked,
          ...(typeof parent.name === 'string' ? { name: parent.name } : {}),
        },
        people: strings(data.onCallRecipients).map((email) => ({ email })),
      };
    },
    errorDetail(body) {
      const b = obj(body);
      const fields = Object.values(obj(b.errors)).filter((v) => typeof v === 'string');
      const message = typeof b.message === 'string' ? b.message : undefined;
      return [message, ...fields].filter(Boolean).join(': ') || undefined;
    },
    // Opsgenie sends no Retry-After: the throttling period is in X-RateLimit-Period-In-Sec.
    retryAfter: (headers) => headers.get('retry-after') ?? headers.get('x-ratelimit-period-in-sec'),
  };
}

export function dialectFor(config: JsmOpsConfig): Dialect {
  return config.flavor === 'opsgenie' ? opsgenieDialect(config) : jsmDialect(config);
}
