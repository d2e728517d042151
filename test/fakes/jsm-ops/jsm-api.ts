// The JSM Operations REST API (`/jsm/ops/api/{cloudId}/v1/...`) over the shared store: bare
// JSON objects (no `data` envelope), `values` + `links.next` listings, errors as
// `{ errors: [{ title, code }] }`, alert writes answered with an async receipt.

import type { AsyncRequests } from './async-requests.js';
import type { FakeAlert, NewAlert, OpsDirectory } from './directory.js';
import type { Answer } from './http.js';

export const jsmError = (status: number, title: string, code: string): Answer => ({
  status,
  body: { errors: [{ title, code }] },
});

const receipt = (requestId: string, status = 202): Answer => ({
  status,
  body: { result: 'Request will be processed', took: 0.01, requestId },
});

const PAGE_MAX = 100;

export function jsmRoute(
  dir: OpsDirectory,
  queue: AsyncRequests,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
  owner: string,
): Answer {
  if (method === 'GET' && path === '/alerts') {
    const size = Math.min(PAGE_MAX, Math.max(1, Number(query.get('size') ?? 20) || 20));
    const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
    const values = dir.alerts.slice(offset, offset + size);
    return {
      status: 200,
      body: {
        values,
        count: dir.alerts.length,
        links:
          offset + size < dir.alerts.length
            ? { next: `/v1/alerts?offset=${offset + size}&size=${size}` }
            : {},
      },
    };
  }
  if (method === 'POST' && path === '/alerts') {
    const input = body as NewAlert | null;
    if (!input || typeof input.message !== 'string' || !input.message.trim())
      return jsmError(400, 'Message can not be empty.', 'BAD_REQUEST');
    if (input.message.length > 130)
      return jsmError(400, 'Message can not be longer than 130 characters.', 'BAD_REQUEST');
    if ((input.description?.length ?? 0) > 15_000)
      return jsmError(400, 'Description can not be longer than 15000 characters.', 'BAD_REQUEST');
    if ((input.alias?.length ?? 0) > 512)
      return jsmError(400, 'Alias can not be longer than 512 characters.', 'BAD_REQUEST');
    for (const r of input.responders ?? []) {
      if (r.type === 'team' && !dir.teams.some((t) => t.id === r.id))
        return jsmError(422, `Team with id [${r.id ?? ''}] does not exist`, 'UNPROCESSABLE_ENTITY');
      if (!r.id) return jsmError(400, 'Responder id can not be empty.', 'BAD_REQUEST');
    }
    const request = queue.accept('Create', () => {
      const { alert, deduplicated } = dir.createAlert(input);
      return {
        isSuccess: true,
        status: deduplicated ? 'Alert is deduplicated' : 'Alert created',
        alertId: alert.id,
        alias: alert.alias,
      };
    });
    // Creation answers 200 where the other alert actions answer 202; both are receipts.
    return receipt(request.requestId, 200);
  }
  const status = /^\/alerts\/requests\/([^/]+)$/.exec(path);
  if (method === 'GET' && status) {
    const request = dir.requests.get(decodeURIComponent(status[1]!));
    if (!request?.processed)
      return jsmError(404, 'Request not found. It might not be processed, yet.', 'NOT_FOUND');
    return {
      status: 200,
      body: {
        action: request.action,
        processedAt: request.processedAt,
        integrationId: '',
        isSuccess: request.isSuccess,
        status: request.status,
        alertId: request.alertId ?? '',
        alias: request.alias ?? '',
      },
    };
  }
  if (method === 'GET' && path === '/alerts/alias') {
    const alert = dir.findAlert(query.get('alias') ?? '', 'alias');
    return alert ? { status: 200, body: alert } : jsmError(404, 'Alert not found', 'NOT_FOUND');
  }
  const one = /^\/alerts\/([^/]+)(?:\/(notes|close))?$/.exec(path);
  if (one) {
    const alert = dir.findAlert(decodeURIComponent(one[1]!));
    if (!alert) return jsmError(404, 'Alert not found', 'NOT_FOUND');
    if (!one[2] && method === 'GET') return { status: 200, body: alert };
    if (one[2] === 'notes' && method === 'GET') return listNotes(dir, alert, query);
    if (one[2] === 'notes' && method === 'POST') {
      const note = (body as { note?: unknown } | null)?.note;
      if (typeof note !== 'string' || !note.trim())
        return jsmError(400, 'Note can not be empty.', 'BAD_REQUEST');
      if (note.length > 25_000)
        return jsmError(400, 'Note can not be longer than 25000 characters.', 'BAD_REQUEST');
      const request = queue.accept('Add Note', () => {
        dir.addNote(alert, note, owner);
        return { isSuccess: true, status: 'Added note', alertId: alert.id, alias: alert.alias };
      });
      return receipt(request.requestId);
    }
    if (one[2] === 'close' && method === 'POST') {
      const note = (body as { note?: unknown } | null)?.note;
      const request = queue.accept('Close', () => {
        if (alert.status === 'closed')
          return {
            isSuccess: false,
            status: 'Alert is already closed',
            alertId: alert.id,
            alias: alert.alias,
          };
        alert.status = 'closed';
        if (typeof note === 'string' && note) dir.addNote(alert, note, owner);
        return { isSuccess: true, status: 'Closed alert', alertId: alert.id, alias: alert.alias };
      });
      return receipt(request.requestId);
    }
  }
  const schedule = /^\/schedules\/([^/]+)(\/on-calls)?$/.exec(path);
  if (schedule && method === 'GET') {
    const found = dir.findSchedule(decodeURIComponent(schedule[1]!));
    if (!found) return jsmError(404, 'Schedule not found', 'NOT_FOUND');
    if (!schedule[2])
      return {
        status: 200,
        body: { id: found.id, name: found.name, enabled: found.enabled, timezone: 'UTC' },
      };
    if (query.get('flat') === 'true') return { status: 200, body: { onCallUsers: [...found.onCall] } };
    return {
      status: 200,
      body: { onCallParticipants: found.onCall.map((id) => ({ id, type: 'user' })) },
    };
  }
  return jsmError(404, 'Not Found', 'NOT_FOUND');
}

/** Notes page with an opaque `after` cursor (the previous page's last offset). */
function listNotes(dir: OpsDirectory, alert: FakeAlert, query: URLSearchParams): Answer {
  const limit = Math.min(PAGE_MAX, Math.max(1, Number(query.get('limit') ?? 20) || 20));
  const all = dir.notesOf(alert.id);
  const ordered = query.get('order') === 'asc' ? all : [...all].reverse();
  const after = query.get('after');
  const start = after ? ordered.findIndex((n) => n.offset === after) + 1 : 0;
  const page = ordered.slice(start, start + limit);
  const more = start + limit < ordered.length;
  return {
    status: 200,
    body: {
      values: page,
      links: more
        ? {
            next: `/v1/alerts/${alert.id}/notes?limit=${limit}&order=${query.get('order') ?? 'desc'}&after=${page.at(-1)?.offset}`,
          }
        : {},
    },
  };
}
