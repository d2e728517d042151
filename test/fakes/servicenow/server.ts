// A fake ServiceNow instance on 127.0.0.1: the Table API (/api/now/table/<table>, GET with
// sysparm_query / sysparm_fields / sysparm_limit / sysparm_offset, POST, PATCH /<sys_id>) with
// `result` envelopes and ServiceNow's error shape `{error:{message,detail},status:"failure"}`;
// journal fields (work_notes, comments) written on PATCH, kept in sys_journal_field and read
// back as '' on the record; the incident data policy (resolving needs close_code and
// close_notes); Basic auth and OAuth client credentials (POST /oauth_token.do, form-encoded,
// tokens that expire); 429 with Retry-After and X-RateLimit-*; the on_call_rota whoisoncall API.
// Every call is recorded; scripted faults (5xx, 429, a lost answer) simulate an outage.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../read-body.js';
import { glideNow, JOURNAL_FIELDS, newSysId, type Row, Tables } from './tables.js';

export interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  status: number;
  /** The ServiceNow user the call ran as ('' when unauthenticated). */
  user: string;
  at: number;
}

export type CallMatch = (method: string, path: string) => boolean;

interface Fault {
  kind: 'fail' | 'rate' | 'lose';
  status?: number;
  retryAfterSeconds?: number;
  match?: CallMatch;
  remaining: number;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An on-call shift: who is on call in a rota between two instants. */
export interface FakeShift {
  rotaId: string;
  userSysId: string;
  from: Date;
  to: Date;
}

const snError = (status: number, message: string, detail: string | null = null): Answer => ({
  status,
  body: { error: { message, detail }, status: 'failure' },
});

const CLOSED_STATES = new Set(['6', '7', '8']);

export interface FakeServiceNow {
  url: string;
  tables: Tables;
  calls: RecordedCall[];
  /** Basic auth: the integration user's credentials. */
  basic: { username: string; password: string };
  /** OAuth client credentials; tokens act as `basic.username`. */
  oauth: { client_id: string; client_secret: string };
  /** Seconds an OAuth token lives (expires_in). */
  tokenLifetimeSeconds: number;
  /** Tokens handed out so far. */
  tokensIssued(): number;
  /** Every token issued so far is refused from now on (as after an instance restart or revocation). */
  revokeTokens(): void;
  addUser(user: { user_name: string; email?: string; name?: string }): string;
  addGroup(name: string): string;
  userByName(userName: string): Row | undefined;
  incidents(): Row[];
  incidentsOf(requestId: string): Row[];
  /** Journal entries of a record, oldest first. */
  journal(sysId: string, element: 'work_notes' | 'comments'): string[];
  /**
   * A person approves or rejects on the incident: their approval record (added as `requested`
   * if it is not there) is set to `state`, with their comment, as that person. Returns its sys_id.
   */
  recordApproval(
    incidentSysId: string,
    userName: string,
    state: 'approved' | 'rejected',
    comment?: string,
  ): string;
  /** A person moves the incident to `state` (sys_updated_by is them). */
  moveIncident(incidentSysId: string, state: string, userName: string): void;
  /** An on-call rota (cmn_rota) of a group; returns its sys_id. */
  addRota(name: string, groupSysId?: string): string;
  addShift(shift: FakeShift): void;
  failNext(n: number, opts?: { status?: number; match?: CallMatch }): void;
  rateLimitNext(n: number, retryAfterSeconds: number, match?: CallMatch): void;
  /** The next matching call is carried out, then its connection is cut before the answer. */
  loseNextAnswer(match?: CallMatch): void;
  unusedFaults(): number;
  callsTo(method: string, path: string | RegExp): RecordedCall[];
  stop(): Promise<void>;
}

export async function startFakeServiceNow(): Promise<FakeServiceNow> {
  const tables = new Tables();
  const calls: RecordedCall[] = [];
  const faults: Fault[] = [];
  const shifts: FakeShift[] = [];
  const tokens = new Map<string, { expiresAt: number }>();
  let issued = 0;
  let incidentNumber = 10000;
  const basic = { username: 'accessbot.integration', password: 'sn-password-0123456789' };
  const oauth = {
    client_id: 'c0ffee00c0ffee00c0ffee00c0ffee00',
    client_secret: 'sn-oauth-secret-0123456789',
  };
  const fake = { tokenLifetimeSeconds: 1800 };

  const userByName = (userName: string) => tables.table('sys_user')!.find((u) => u.user_name === userName);

  function addJournal(table: string, sysId: string, element: string, value: string, by: string) {
    tables.insert('sys_journal_field', {
      sys_id: newSysId(),
      name: table,
      element,
      element_id: sysId,
      value,
      sys_created_on: glideNow(),
      sys_created_by: by,
    });
  }

  /** Writes fields as `user` would: journals appended, the rest set, system fields kept up. */
  function write(table: string, row: Row, fields: Record<string, unknown>, user: string): Answer | null {
    const next: Row = { ...row };
    const journals: [string, string][] = [];
    for (const [k, v] of Object.entries(fields)) {
      if (typeof v !== 'string')
        return snError(400, 'Exception while reading request', `field ${k} is not a string`);
      if (k.startsWith('sys_')) continue;
      if (JOURNAL_FIELDS.has(k)) {
        if (v.trim() !== '') journals.push([k, v]);
      } else next[k] = v;
    }
    if (table === 'incident') {
      if (
        CLOSED_STATES.has(next.state ?? '') &&
        next.state !== '8' &&
        (!next.close_code || !next.close_notes)
      )
        return snError(
          403,
          'Operation Failed',
          'Data Policy Exception: \n\tThe following fields are mandatory: Resolution code, Resolution notes\n',
        );
      next.active = CLOSED_STATES.has(next.state ?? '') ? 'false' : 'true';
      next.incident_state = next.state ?? '1';
    }
    next.sys_updated_on = glideNow();
    next.sys_updated_by = user;
    next.sys_mod_count = String(Number(row.sys_mod_count ?? '-1') + 1);
    Object.assign(row, next);
    tables.touch(row);
    for (const [element, value] of journals) addJournal(table, row.sys_id!, element, value, user);
    return null;
  }

  function authenticate(req: IncomingMessage): string | null {
    const header = req.headers.authorization ?? '';
    if (header.startsWith('Basic ')) {
      const [u, p] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
      return u === basic.username && p === basic.password ? basic.username : null;
    }
    if (header.startsWith('Bearer ')) {
      const t = tokens.get(header.slice(7));
      return t && t.expiresAt > Date.now() ? basic.username : null;
    }
    return null;
  }

  function tokenGrant(raw: Buffer, contentType: string | undefined): Answer {
    if (!contentType?.startsWith('application/x-www-form-urlencoded'))
      return { status: 400, body: { error_description: 'access_denied', error: 'server_error' } };
    const form = new URLSearchParams(raw.toString('utf8'));
    if (
      form.get('grant_type') !== 'client_credentials' ||
      form.get('client_id') !== oauth.client_id ||
      form.get('client_secret') !== oauth.client_secret
    )
      return { status: 401, body: { error_description: 'access_denied', error: 'server_error' } };
    const token = `tok-${newSysId()}`;
    issued++;
    tokens.set(token, { expiresAt: Date.now() + fake.tokenLifetimeSeconds * 1000 });
    return {
      status: 200,
      body: {
        access_token: token,
        scope: 'useraccount',
        token_type: 'Bearer',
        expires_in: fake.tokenLifetimeSeconds,
      },
    };
  }

  function tableCall(
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    user: string,
  ): Answer {
    const m = /^\/api\/now\/(?:v[12]\/)?table\/([a-z_0-9]+)(?:\/([0-9a-f]{32}))?$/.exec(path);
    if (!m) return snError(400, 'Requested URI does not represent any resource', path);
    const [, table, sysId] = m;
    const rows = tables.table(table!);
    if (!rows) return snError(400, `Invalid table ${table}`);
    const fields = query.get('sysparm_fields')?.split(',').filter(Boolean);
    if (method === 'GET') {
      let found: Row[];
      try {
        found = sysId
          ? rows.filter((r) => r.sys_id === sysId)
          : tables.query(table!, query.get('sysparm_query') ?? '');
      } catch (err) {
        return snError(400, 'Invalid query', (err as Error).message);
      }
      if (sysId && found.length === 0)
        return snError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
      const offset = Number(query.get('sysparm_offset') ?? 0) || 0;
      const limit = Math.min(10_000, Number(query.get('sysparm_limit') ?? 10_000) || 10_000);
      const page = found.slice(offset, offset + limit).map((r) => tables.view(table!, r, fields));
      return {
        status: 200,
        body: { result: sysId ? page[0] : page },
        headers: { 'X-Total-Count': String(found.length) },
      };
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      return snError(400, 'Exception while reading request', 'The payload is not valid JSON.');
    if (method === 'POST' && !sysId) {
      const row: Row = { sys_id: newSysId(), sys_created_on: glideNow(), sys_created_by: user };
      if (table === 'incident') Object.assign(row, { number: `INC${++incidentNumber}`, state: '1' });
      const refused = write(table!, row, body as Record<string, unknown>, user);
      if (refused) return refused;
      tables.insert(table!, row);
      return { status: 201, body: { result: tables.view(table!, row, fields) } };
    }
    if ((method === 'PATCH' || method === 'PUT') && sysId) {
      const row = rows.find((r) => r.sys_id === sysId);
      if (!row)
        return snError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
      const refused = write(table!, row, body as Record<string, unknown>, user);
      if (refused) return refused;
      return { status: 200, body: { result: tables.view(table!, row, fields) } };
    }
    return snError(405, 'Method not Supported', `${method} is not supported for this resource`);
  }

  function whoIsOnCall(query: URLSearchParams): Answer {
    const rotaIds = (query.get('rota_ids') ?? '').split(',').filter(Boolean);
    const at = query.get('date_time')
      ? new Date(`${query.get('date_time')!.replace(' ', 'T')}Z`)
      : new Date();
    if (Number.isNaN(at.getTime())) return snError(400, 'Invalid date_time', query.get('date_time'));
    const result = shifts
      .filter((s) => (rotaIds.length === 0 || rotaIds.includes(s.rotaId)) && s.from <= at && at < s.to)
      .map((s, i) => ({
        userId: s.userSysId,
        rotaId: s.rotaId,
        roster: `roster-${s.rotaId}`,
        order: i + 1,
        isOverride: false,
      }));
    return { status: 200, body: { result } };
  }

  const takeFault = (method: string, path: string): Fault | undefined => {
    const fault = faults.find((f) => f.remaining > 0 && (!f.match || f.match(method, path)));
    if (fault) fault.remaining -= 1;
    return fault;
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    let body: unknown = null;
    const record: RecordedCall = {
      method,
      path: url.pathname,
      query: url.searchParams,
      body: null,
      status: 0,
      user: '',
      at: Date.now(),
    };
    calls.push(record);
    const send = (a: Answer) => {
      record.status = a.status;
      res.writeHead(a.status, { 'Content-Type': 'application/json', ...a.headers });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    };
    if (url.pathname === '/oauth_token.do' && method === 'POST')
      return send(tokenGrant(raw, req.headers['content-type']));
    const user = authenticate(req);
    if (!user) return send(snError(401, 'User Not Authenticated', 'Required to provide Auth information'));
    record.user = user;
    const fault = takeFault(method, url.pathname);
    if (fault?.kind === 'fail')
      return send(snError(fault.status ?? 500, 'Internal Server Error', 'injected'));
    if (fault?.kind === 'rate') {
      const reset = Math.ceil(Date.now() / 1000) + (fault.retryAfterSeconds ?? 1);
      return send({
        ...snError(429, 'Too Many Requests', 'Rate limit exceeded for the rule accessbot'),
        headers: {
          'Retry-After': String(fault.retryAfterSeconds ?? 1),
          'X-RateLimit-Limit': '1000',
          'X-RateLimit-Reset': String(reset),
          'X-RateLimit-Rule': '8c8b4c9bdb0233009de1fc5e0f961958',
        },
      });
    }
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return send(snError(400, 'Exception while reading request', 'The payload is not valid JSON.'));
      }
    }
    record.body = body;
    const answer =
      url.pathname === '/api/now/on_call_rota/whoisoncall' && method === 'GET'
        ? whoIsOnCall(url.searchParams)
        : tableCall(method, url.pathname, url.searchParams, body, user);
    if (fault?.kind === 'lose') {
      record.status = answer.status;
      res.socket?.destroy();
      return;
    }
    send(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    tables,
    calls,
    basic,
    oauth,
    get tokenLifetimeSeconds() {
      return fake.tokenLifetimeSeconds;
    },
    set tokenLifetimeSeconds(s: number) {
      fake.tokenLifetimeSeconds = s;
    },
    tokensIssued: () => issued,
    revokeTokens: () => tokens.clear(),
    addUser(user) {
      const sysId = newSysId();
      tables.insert('sys_user', {
        sys_id: sysId,
        user_name: user.user_name,
        email: user.email ?? '',
        name: user.name ?? user.user_name,
        active: 'true',
      });
      return sysId;
    },
    addGroup(name) {
      const sysId = newSysId();
      tables.insert('sys_user_group', { sys_id: sysId, name, active: 'true' });
      return sysId;
    },
    userByName,
    incidents: () => tables.table('incident')!,
    incidentsOf: (requestId) => tables.table('incident')!.filter((r) => r.correlation_id === requestId),
    journal: (sysId, element) =>
      tables
        .table('sys_journal_field')!
        .filter((j) => j.element_id === sysId && j.element === element)
        .map((j) => j.value!),
    recordApproval(incidentSysId, userName, state, comment) {
      const approver = userByName(userName);
      if (!approver) throw new Error(`no sys_user ${userName}`);
      let row = tables
        .table('sysapproval_approver')!
        .find((a) => a.sysapproval === incidentSysId && a.approver === approver.sys_id);
      if (!row) {
        row = tables.insert('sysapproval_approver', {
          sys_id: newSysId(),
          sysapproval: incidentSysId,
          document_id: incidentSysId,
          source_table: 'incident',
          approver: approver.sys_id!,
          state: 'requested',
          sys_created_on: glideNow(),
          sys_created_by: basic.username,
          sys_mod_count: '0',
        });
      }
      const refused = write(
        'sysapproval_approver',
        row,
        { state, ...(comment ? { comments: comment } : {}) },
        userName,
      );
      if (refused) throw new Error(JSON.stringify(refused.body));
      return row.sys_id!;
    },
    moveIncident(incidentSysId, state, userName) {
      const row = tables.byId('incident', incidentSysId);
      if (!row) throw new Error(`no incident ${incidentSysId}`);
      const refused = write('incident', row, { state }, userName);
      if (refused) throw new Error(JSON.stringify(refused.body));
    },
    addRota(name, groupSysId) {
      const sysId = newSysId();
      tables.insert('cmn_rota', { sys_id: sysId, name, group: groupSysId ?? '', active: 'true' });
      return sysId;
    },
    addShift: (shift) => shifts.push(shift),
    failNext(n, opts = {}) {
      faults.push({
        kind: 'fail',
        status: opts.status ?? 500,
        remaining: n,
        ...(opts.match ? { match: opts.match } : {}),
      });
    },
    rateLimitNext(n, retryAfterSeconds, match) {
      faults.push({ kind: 'rate', retryAfterSeconds, remaining: n, ...(match ? { match } : {}) });
    },
    loseNextAnswer(match) {
      faults.push({ kind: 'lose', remaining: 1, ...(match ? { match } : {}) });
    },
    unusedFaults: () => faults.reduce((n, f) => n + f.remaining, 0),
    callsTo: (method, path) =>
      calls.filter(
        (c) => c.method === method && (typeof path === 'string' ? c.path === path : path.test(c.path)),
      ),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
