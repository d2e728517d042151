// The Opsgenie REST API v2 (`/v2/...`) over the shared store: every answer wrapped as
// `{ data, took, requestId }`, errors as `{ message, took, requestId }` (validation adds an
// `errors` map), `identifierType` on alert paths, `paging.next` listings, and alert writes
// answered 202 "Request will be processed".

import { randomUUID } from 'node:crypto';
import type { AsyncRequests } from './async-requests.js';
import type { FakeAlert, NewAlert, OpsDirectory } from './directory.js';
import type { Answer } from './http.js';

export const ogError = (status: number, message: string, errors?: Record<string, string>): Answer => ({
  status,
  body: { message, ...(errors ? { errors } : {}), took: 0.002, requestId: randomUUID() },
});

const ok = (data: unknown, extra: Record<string, unknown> = {}): Answer => ({
  status: 200,
  body: { data, ...extra, took: 0.004, requestId: randomUUID() },
});

const accepted = (requestId: string): Answer => ({
  status: 202,
  body: { result: 'Request will be processed', took: 0.107, requestId },
});

const PAGE_MAX = 100;
const unprocessable = (field: string, message: string) =>
  ogError(422, 'Request body is not processable. Please check the errors.', { [field]: message });

function identifierType(
  query: URLSearchParams,
  name = 'identifierType',
): 'id' | 'alias' | 'tiny' | 'name' | null {
  const type = query.get(name) ?? 'id';
  return type === 'id' || type === 'alias' || type === 'tiny' || type === 'name' ? type : null;
}

export function opsgenieRoute(
  dir: OpsDirectory,
  queue: AsyncRequests,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
): Answer {
  if (method === 'GET' && path === '/alerts') {
    const limit = Math.min(PAGE_MAX, Math.max(1, Number(query.get('limit') ?? 20) || 20));
    const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
    return ok(dir.alerts.slice(offset, offset + limit), {
      paging: { first: `/v2/alerts?limit=${limit}&offset=0` },
    });
  }
  if (method === 'POST' && path === '/alerts') {
    const input = body as NewAlert | null;
    if (!input || typeof input.message !== 'string' || !input.message.trim())
      return unprocessable('message', 'Message can not be empty.');
    if (input.message.length > 130)
      return unprocessable('message', 'Message can not be longer than 130 characters.');
    if ((input.description?.length ?? 0) > 15_000)
      return unprocessable('description', 'Description can not be longer than 15000 characters.');
    if ((input.alias?.length ?? 0) > 512)
      return unprocessable('alias', 'Alias can not be longer than 512 characters.');
    for (const r of input.responders ?? []) {
      const known = r.type !== 'team' || dir.teams.some((t) => t.id === r.id || t.name === r.name);
      if (!known) return unprocessable('responders', `Team [${r.name ?? r.id ?? ''}] does not exist.`);
    }
    const request = queue.accept('Create', () => {
      const { alert, deduplicated } = dir.createAlert(input);
      return {
        isSuccess: true,
        status: deduplicated ? 'Alert is deduplicated' : 'Created alert',
        alertId: alert.id,
        alias: alert.alias,
      };
    });
    return accepted(request.requestId);
  }
  const status = /^\/alerts\/requests\/([^/]+)$/.exec(path);
  if (method === 'GET' && status) {
    const request = dir.requests.get(decodeURIComponent(status[1]!));
    if (!request?.processed) return ogError(404, 'Request not found. It might not be processed, yet.');
    return ok({
      success: request.isSuccess,
      action: request.action,
      processedAt: request.processedAt,
      integrationId: randomUUID(),
      isSuccess: request.isSuccess,
      status: request.status,
      alertId: request.alertId ?? '',
      alias: request.alias ?? '',
    });
  }
  const one = /^\/alerts\/([^/]+)(?:\/(notes|close))?$/.exec(path);
  if (one) {
    const type = identifierType(query);
    if (!type || type === 'name') return unprocessable('identifierType', 'Invalid identifier type.');
    const alert = dir.findAlert(decodeURIComponent(one[1]!), type);
    if (!alert) return ogError(404, 'Alert does not exist');
    if (!one[2] && method === 'GET') return ok(alert);
    if (one[2] === 'notes' && method === 'GET') return listNotes(dir, alert, query);
    const input = (body ?? {}) as { note?: unknown; user?: unknown };
    const owner = typeof input.user === 'string' && input.user ? input.user : 'API';
    if (one[2] === 'notes' && method === 'POST') {
      const note = input.note;
      if (typeof note !== 'string' || !note.trim()) return unprocessable('note', 'Note can not be empty.');
      if (note.length > 25_000) return unprocessable('note', 'Note can not be longer than 25000 characters.');
      const request = queue.accept('Add Note', () => {
        dir.addNote(alert, note, owner);
        return { isSuccess: true, status: 'Added note', alertId: alert.id, alias: alert.alias };
      });
      return accepted(request.requestId);
    }
    if (one[2] === 'close' && method === 'POST') {
      const note = input.note;
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
      return accepted(request.requestId);
    }
  }
  const schedule = /^\/schedules\/([^/]+)(\/on-calls)?$/.exec(path);
  if (schedule && method === 'GET') {
    const type = identifierType(query, schedule[2] ? 'scheduleIdentifierType' : 'identifierType');
    if (type !== 'id' && type !== 'name') return unprocessable('identifierType', 'Invalid identifier type.');
    const found = dir.findSchedule(decodeURIComponent(schedule[1]!), type);
    if (!found) return ogError(404, `No schedule exists with ${type} [${decodeURIComponent(schedule[1]!)}]`);
    const parent = { id: found.id, name: found.name, enabled: found.enabled };
    if (!schedule[2]) return ok({ ...parent, timezone: 'UTC', rotations: [] });
    const users = found.onCall.map((id) => dir.userByAccountId(id)).filter((u) => u !== undefined);
    if (query.get('flat') === 'true')
      return ok({ _parent: parent, onCallRecipients: users.map((u) => u.username) });
    return ok({
      _parent: parent,
      onCallParticipants: users.map((u) => ({ id: u.accountId, name: u.username, type: 'user' })),
    });
  }
  return ogError(404, 'Could not find the requested resource.');
}

/** Notes page by `offset` (the last note's offset) in the `direction` given, `order` asc/desc. */
function listNotes(dir: OpsDirectory, alert: FakeAlert, query: URLSearchParams): Answer {
  const limit = Math.min(PAGE_MAX, Math.max(1, Number(query.get('limit') ?? 20) || 20));
  const all = dir.notesOf(alert.id);
  const ordered = query.get('order') === 'asc' ? all : [...all].reverse();
  const after = query.get('offset');
  const start = after ? ordered.findIndex((n) => n.offset === after) + 1 : 0;
  const page = ordered.slice(start, start + limit);
  const more = start + limit < ordered.length;
  const base = `/v2/alerts/${alert.id}/notes?identifierType=id&limit=${limit}&order=${query.get('order') ?? 'desc'}`;
  return ok(page, {
    paging: {
      first: base,
      ...(more ? { next: `${base}&direction=next&offset=${page.at(-1)?.offset}` } : {}),
    },
  });
}
