// A fake PagerDuty REST API v2 on 127.0.0.1: the same paths, headers (`Authorization: Token
// token=…`, the versioned Accept type, `From` on writes), JSON error shape
// `{ error: { message, code, errors } }`, classic offset/limit/more pagination, incident_key
// de-duplication on open incidents, and 429 with Retry-After and ratelimit-* headers.
// Every call is recorded; scripted faults (5xx, 429, a lost response) simulate an outage.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../read-body.js';
import { Directory, type FakeIncident } from './directory.js';

export const PD_ACCEPT = 'application/vnd.pagerduty+json;version=2';

export interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: unknown;
  status: number;
  /** When the call arrived (ms since epoch). */
  at: number;
}

export interface Fault {
  /** 5xx or 429. */
  status: number;
  retryAfterSeconds?: number;
  /** Process the call, then answer with `status` anyway: the client never learns it worked. */
  afterCommit?: boolean;
  match?: (method: string, path: string) => boolean;
  remaining: number;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const pdError = (status: number, message: string, code: number, errors?: string[]): Answer => ({
  status,
  body: { error: { message, code, ...(errors ? { errors } : {}) } },
});

export interface FakePagerDuty {
  url: string;
  apiKey: string;
  dir: Directory;
  calls: RecordedCall[];
  /** The next `times` matching calls fail with `status` (default 500). */
  failNext(times: number, opts?: { status?: number; match?: Fault['match'] }): void;
  /** The next `times` matching calls get 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(times: number, retryAfterSeconds: number, match?: Fault['match']): void;
  /** The next matching call is carried out but answered with a 502. */
  loseNextResponse(match?: Fault['match']): void;
  callsTo(method: string, path: string | RegExp): RecordedCall[];
  /** Scripted faults (failures, rate limits, lost responses) that have not hit a call yet. */
  unusedFaults(): number;
  stop(): Promise<void>;
}

function paginate<T>(key: string, items: T[], query: URLSearchParams): Answer {
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 25) || 25));
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  const page = items.slice(offset, offset + limit);
  return {
    status: 200,
    body: {
      [key]: page,
      limit,
      offset,
      more: offset + limit < items.length,
      total: query.get('total') === 'true' ? items.length : null,
    },
  };
}

/** `user_ids[]=A&user_ids[]=B` as PagerDuty takes array parameters. */
const arrayParam = (query: URLSearchParams, name: string): string[] => query.getAll(`${name}[]`);

export async function startFakePagerDuty(opts: { apiKey?: string } = {}): Promise<FakePagerDuty> {
  const apiKey = opts.apiKey ?? 'pd-test-key-0123456789';
  let baseUrl = '';
  const dir = new Directory(() => baseUrl);
  const calls: RecordedCall[] = [];
  const faults: Fault[] = [];
  let incidentNumber = 0;

  const takeFault = (method: string, path: string): Fault | undefined => {
    const fault = faults.find((f) => f.remaining > 0 && (!f.match || f.match(method, path)));
    if (fault) fault.remaining -= 1;
    return fault;
  };

  const findIncident = (id: string) => dir.incidents.find((i) => i.id === id);

  const createIncident = (body: unknown, from: string | undefined): Answer => {
    if (!from) return pdError(400, "The action requires a 'From' header", 2011);
    if (!dir.users.some((u) => u.email.toLowerCase() === from.toLowerCase())) {
      return pdError(400, 'Invalid Input Provided', 2001, ['Requester User Not Found']);
    }
    const inc = (body as { incident?: Record<string, unknown> } | null)?.incident;
    const serviceId = (inc?.service as { id?: string } | undefined)?.id;
    const service = dir.services.find((s) => s.id === serviceId);
    if (inc?.type !== 'incident' || typeof inc.title !== 'string' || !inc.title) {
      return pdError(400, 'Invalid Input Provided', 2001, ['Incident title is required']);
    }
    if (!service) return pdError(400, 'Invalid Input Provided', 2001, ['Service Not Found']);
    const key = typeof inc.incident_key === 'string' ? inc.incident_key : null;
    if (
      key &&
      dir.incidents.some(
        (i) => i.incident_key === key && i.service.id === service.id && i.status !== 'resolved',
      )
    ) {
      return pdError(400, 'Incident Already Exists', 2001, [
        'Open incident with matching dedup key already exists on this service',
      ]);
    }
    const id = dir.nextId();
    const now = new Date().toISOString();
    incidentNumber += 1;
    const bodyIn = inc.body as { details?: string } | undefined;
    const incident: FakeIncident = {
      id,
      type: 'incident',
      incident_number: incidentNumber,
      title: inc.title,
      summary: `[#${incidentNumber}] ${inc.title}`,
      status: 'triggered',
      incident_key: key,
      urgency: typeof inc.urgency === 'string' ? inc.urgency : 'high',
      service: dir.ref('service_reference', service.id, service.name, 'services'),
      ...(bodyIn?.details ? { body: { type: 'incident_body' as const, details: bodyIn.details } } : {}),
      created_at: now,
      last_status_change_at: now,
      self: `${baseUrl}/incidents/${id}`,
      html_url: `https://fake.pagerduty.test/incidents/${id}`,
    };
    dir.incidents.push(incident);
    return { status: 201, body: { incident } };
  };

  const route = (
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    from?: string,
  ): Answer => {
    if (method === 'GET' && path === '/abilities')
      return { status: 200, body: { abilities: ['teams', 'urgencies'] } };
    if (method === 'GET' && path === '/users') {
      const q = (query.get('query') ?? '').toLowerCase();
      const users = dir.users.filter(
        (u) => !q || u.name.toLowerCase().includes(q) || u.email.toLowerCase().includes(q),
      );
      return paginate('users', users, query);
    }
    if (method === 'GET' && path === '/services') {
      const q = (query.get('query') ?? '').toLowerCase();
      return paginate(
        'services',
        dir.services.filter((s) => !q || s.name.toLowerCase().includes(q)),
        query,
      );
    }
    if (method === 'GET' && path === '/schedules') {
      // PagerDuty's `query` filters schedules by name.
      const q = (query.get('query') ?? '').toLowerCase();
      const schedules = [...dir.schedules.values()]
        .filter((s) => !q || (s.summary ?? '').toLowerCase().includes(q))
        .map((s) => ({ ...s, type: 'schedule', name: s.summary }));
      return paginate('schedules', schedules, query);
    }
    if (method === 'GET' && path === '/oncalls') {
      const users = arrayParam(query, 'user_ids');
      const policies = arrayParam(query, 'escalation_policy_ids');
      const schedules = arrayParam(query, 'schedule_ids');
      const entries = dir.oncalls.filter(
        (o) =>
          (users.length === 0 || users.includes(o.user.id)) &&
          (policies.length === 0 || policies.includes(o.escalation_policy.id)) &&
          (schedules.length === 0 || (o.schedule !== null && schedules.includes(o.schedule.id))),
      );
      return paginate('oncalls', entries, query);
    }
    if (method === 'GET' && path === '/incidents') {
      const key = query.get('incident_key');
      const services = arrayParam(query, 'service_ids');
      const statuses = arrayParam(query, 'statuses');
      const found = dir.incidents.filter(
        (i) =>
          (!key || i.incident_key === key) &&
          (services.length === 0 || services.includes(i.service.id)) &&
          (statuses.length === 0 || statuses.includes(i.status)),
      );
      return paginate('incidents', found, query);
    }
    if (method === 'POST' && path === '/incidents') return createIncident(body, from);

    const one = /^\/incidents\/([A-Z0-9]+)(\/notes)?$/.exec(path);
    if (one) {
      const incident = findIncident(one[1]!);
      if (!incident) return pdError(404, 'Not Found', 2100);
      if (!one[2] && method === 'GET') return { status: 200, body: { incident } };
      // Reads need no From header, like PagerDuty's.
      if (one[2] && method === 'GET') return { status: 200, body: { notes: dir.notesOf(incident.id) } };
      if (!from && method !== 'GET') return pdError(400, "The action requires a 'From' header", 2011);
      const author = dir.users.find((u) => u.email.toLowerCase() === from?.toLowerCase());
      if (!author) return pdError(400, 'Invalid Input Provided', 2001, ['Requester User Not Found']);
      if (one[2] && method === 'POST') {
        const content = (body as { note?: { content?: unknown } } | null)?.note?.content;
        if (typeof content !== 'string' || !content) {
          return pdError(400, 'Invalid Input Provided', 2001, ['Note content is required']);
        }
        const note = {
          id: dir.nextId(),
          user: dir.ref('user_reference', author.id, author.name, 'users'),
          content,
          created_at: new Date().toISOString(),
        };
        dir.notes.set(incident.id, [...dir.notesOf(incident.id), note]);
        return { status: 201, body: { note } };
      }
      if (!one[2] && method === 'PUT') {
        const status = (body as { incident?: { status?: unknown } } | null)?.incident?.status;
        if (status !== 'resolved' && status !== 'acknowledged') {
          return pdError(400, 'Invalid Input Provided', 2001, ['Status is invalid']);
        }
        if (incident.status === 'resolved') {
          return pdError(400, 'Invalid Input Provided', 2001, ['Incident Already Resolved']);
        }
        incident.status = status;
        incident.last_status_change_at = new Date().toISOString();
        return { status: 200, body: { incident } };
      }
    }
    return pdError(404, 'Not Found', 2100);
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now();
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    let body: unknown = null;
    let answer: Answer;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : null;
    } catch {
      body = raw.toString('utf8');
    }
    const fault = takeFault(method, url.pathname);
    if (headers.authorization !== `Token token=${apiKey}`) {
      answer = pdError(401, 'Authentication failed', 2006);
    } else if (headers.accept !== PD_ACCEPT) {
      answer = pdError(406, 'Not Acceptable', 2001, [`Accept must be ${PD_ACCEPT}`]);
    } else if (
      typeof body === 'string' ||
      (raw.length > 0 && !headers['content-type']?.startsWith('application/json'))
    ) {
      answer = pdError(400, 'Invalid Input Provided', 2001, ['Request body must be JSON']);
    } else if (fault && !fault.afterCommit) {
      answer = faultAnswer(fault);
    } else {
      answer = route(method, url.pathname, url.searchParams, body, headers.from);
      if (fault?.afterCommit) answer = faultAnswer(fault);
    }
    calls.push({
      method,
      path: url.pathname,
      query: url.searchParams,
      headers,
      body,
      status: answer.status,
      at,
    });
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    apiKey,
    dir,
    calls,
    failNext(times, o = {}) {
      faults.push({ status: o.status ?? 500, remaining: times, ...(o.match ? { match: o.match } : {}) });
    },
    rateLimitNext(times, retryAfterSeconds, match) {
      faults.push({ status: 429, retryAfterSeconds, remaining: times, ...(match ? { match } : {}) });
    },
    loseNextResponse(match) {
      faults.push({ status: 502, afterCommit: true, remaining: 1, ...(match ? { match } : {}) });
    },
    unusedFaults: () => faults.reduce((sum, f) => sum + f.remaining, 0),
    callsTo(method, path) {
      return calls.filter(
        (c) => c.method === method && (typeof path === 'string' ? c.path === path : path.test(c.path)),
      );
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function faultAnswer(fault: Fault): Answer {
  if (fault.status === 429) {
    const retry = String(fault.retryAfterSeconds ?? 1);
    return {
      ...pdError(429, 'Rate Limit Exceeded', 2020),
      headers: {
        'retry-after': retry,
        'ratelimit-limit': '960',
        'ratelimit-remaining': '0',
        'ratelimit-reset': retry,
      },
    };
  }
  return pdError(fault.status, 'Internal Server Error', 2000);
}
