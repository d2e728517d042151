// A fake Jira (Cloud or Data Center flavour) on 127.0.0.1 that speaks the REST API v2 paths
// the plugin uses: myself, project, statuses, mypermissions, user, create/get/search issue,
// entity properties, comments and transitions. Auth is checked like Jira (Basic email:token or
// Bearer PAT), errors have Jira's `{errorMessages, errors}` shape, and faults can be switched on
// (5xx for N calls, 429 with Retry-After). Every call is recorded for assertions.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../read-body.js';
import { commentJson, historyJson, issueJson, userJson } from './json.js';
import { ALL_PERMISSIONS, FakeJiraModel, type FakeJiraUser, type FakeStatus } from './model.js';
import { buildWebhook, issueUpdatedPayload, type SignedWebhook, sendWebhook } from './webhook.js';

export interface RecordedCall {
  method: string;
  /** Path below the base URL, e.g. `/rest/api/2/issue`. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** Account that made the call, when authenticated. */
  accountId?: string;
  authScheme?: 'Basic' | 'Bearer';
  status: number;
  /** Arrival time (ms since epoch), for checks that a Retry-After was honoured. */
  at: number;
}

type Fault = {
  status: number;
  retryAfterSeconds?: number;
  method?: string;
  /** Any of these methods (e.g. the writes, POST and PUT). */
  methods?: string[];
  path?: RegExp;
};

/** A call carried out whose answer is lost on the way back (a 504 from Atlassian's edge). */
type LostAnswer = { method: string; path: RegExp };

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const MAX_TEXT = 32_767;
const MAX_SUMMARY = 255;

const jiraError = (status: number, errorMessages: string[], errors: Record<string, string> = {}): Reply => ({
  status,
  body: { errorMessages, errors },
});

export class FakeJira {
  readonly model = new FakeJiraModel();
  readonly calls: RecordedCall[] = [];
  /** Webhooks the fake sent on its own (status changes made through the API), with the answer. */
  readonly deliveries: { hook: SignedWebhook; status: number }[] = [];
  private server?: Server;
  private faults: Fault[] = [];
  private lostAnswers: LostAnswer[] = [];
  private hooks: { method: string; path: RegExp; act: () => void }[] = [];
  private readonly pathPrefix: string;
  private webhookTarget?: { url: string; secret: string | null };
  private pendingDeliveries = new Set<Promise<void>>();
  baseUrl = '';

  constructor(opts: { pathPrefix?: string } = {}) {
    this.pathPrefix = opts.pathPrefix ?? '/jira';
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}${this.pathPrefix}`;
    return this;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.pendingDeliveries]);
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  addUser(user: Omit<FakeJiraUser, 'permissions'> & { permissions?: string[] }): FakeJiraUser {
    return this.model.addUser({ ...user, permissions: user.permissions ?? [...ALL_PERMISSIONS] });
  }

  /** The next `count` API calls fail with `status` (and Retry-After for 429). */
  failNext(count: number, status = 500, retryAfterSeconds?: number): void {
    for (let i = 0; i < count; i++)
      this.faults.push({ status, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
  }

  /** The next `count` writes (POST and PUT) fail with `status` (and Retry-After for 429). */
  failNextWrites(count: number, status = 500, retryAfterSeconds?: number): void {
    for (let i = 0; i < count; i++)
      this.faults.push({
        status,
        methods: ['POST', 'PUT'],
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      });
  }

  /**
   * The next `count` calls matching `method` and `path` are carried out (an issue is created,
   * a comment added) but answered 504, as when Jira's answer is lost on the way back.
   */
  loseNextAnswers(count: number, method: string, path: RegExp): void {
    for (let i = 0; i < count; i++) this.lostAnswers.push({ method, path });
  }

  /** Faults and lost answers set up that have not hit a call yet. */
  unusedFaults(): number {
    return this.faults.length + this.lostAnswers.length;
  }

  /** The next call matching `method` and `path` (below the base URL) fails with `status`. */
  failNextMatching(method: string, path: RegExp, status = 500): void {
    this.faults.push({ status, method, path });
  }

  /** Runs `act` just before the next call matching `method` and `path` is handled (simulates a race). */
  beforeNext(method: string, path: RegExp, act: () => void): void {
    this.hooks.push({ method, path, act });
  }

  /** Status changes made through the API are sent here, as Jira would after an admin registers a webhook. */
  registerWebhook(url: string, secret: string | null): void {
    this.webhookTarget = { url, secret };
  }

  /** A person moves an issue on the board; returns the signed webhook Jira would send for it. */
  moveIssue(
    issueKey: string,
    statusName: string,
    accountId: string,
    secret: string | null,
    identifier?: string,
  ): SignedWebhook {
    const issue = this.model.findIssue(issueKey);
    if (!issue) throw new Error(`fake jira: no issue ${issueKey}`);
    const status = this.model.statusesOf(issue).find((s) => s.name === statusName);
    if (!status) throw new Error(`fake jira: no status ${statusName}`);
    const history = this.model.setStatus(issue, status, accountId);
    return buildWebhook(issueUpdatedPayload(this.baseUrl, this.model, issue, history), secret, identifier);
  }

  /** A person comments on an issue. */
  comment(issueKey: string, accountId: string, body: string): void {
    const issue = this.model.findIssue(issueKey);
    if (!issue) throw new Error(`fake jira: no issue ${issueKey}`);
    this.model.addComment(issue, accountId, body);
  }

  /** Resolves once every webhook the fake has started sending has been answered. */
  async settled(): Promise<void> {
    while (this.pendingDeliveries.size > 0) await Promise.allSettled([...this.pendingDeliveries]);
  }

  callsTo(method: string, pathPattern: RegExp): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && pathPattern.test(c.path));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = (await readBody(req)).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname.startsWith(this.pathPrefix)
      ? url.pathname.slice(this.pathPrefix.length)
      : url.pathname;
    const query = Object.fromEntries(url.searchParams.entries());
    const method = req.method ?? 'GET';
    const call: RecordedCall = { method, path, query, body: undefined, status: 0, at: Date.now() };
    let reply: Reply;
    try {
      reply = this.route(req, method, path, query, raw, call);
    } catch (err) {
      reply = jiraError(500, [`Internal server error: ${(err as Error).message}`]);
    }
    const lost = this.lostAnswers.findIndex((l) => l.method === method && l.path.test(path));
    if (lost >= 0 && reply.status < 300) {
      this.lostAnswers.splice(lost, 1);
      reply = { status: 504, body: { errorMessages: ['Gateway Timeout'], errors: {} } };
    }
    call.status = reply.status;
    this.calls.push(call);
    const headers: Record<string, string> = { 'x-arequestid': String(this.calls.length), ...reply.headers };
    if (reply.body !== undefined) headers['content-type'] = 'application/json;charset=UTF-8';
    res.writeHead(reply.status, headers);
    res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
  }

  private authenticate(req: IncomingMessage): { user: FakeJiraUser; scheme: 'Basic' | 'Bearer' } | undefined {
    const header = req.headers.authorization ?? '';
    const [scheme, value = ''] = header.split(' ', 2);
    if (scheme === 'Basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const email = decoded.slice(0, colon);
      const token = decoded.slice(colon + 1);
      for (const user of this.model.users.values())
        if (user.email === email && user.apiToken && user.apiToken === token)
          return { user, scheme: 'Basic' };
    }
    if (scheme === 'Bearer') {
      for (const user of this.model.users.values())
        if (user.pat && user.pat === value) return { user, scheme: 'Bearer' };
    }
    return undefined;
  }

  private route(
    req: IncomingMessage,
    method: string,
    path: string,
    query: Record<string, string>,
    raw: string,
    call: RecordedCall,
  ): Reply {
    const path0 = path;
    const hookIndex = this.hooks.findIndex((h) => h.method === method && h.path.test(path0));
    if (hookIndex >= 0) this.hooks.splice(hookIndex, 1)[0]!.act();
    const index = this.faults.findIndex(
      (f) =>
        (!f.method || f.method === method) &&
        (!f.methods || f.methods.includes(method)) &&
        (!f.path || f.path.test(path0)),
    );
    const fault = index >= 0 ? this.faults.splice(index, 1)[0] : undefined;
    if (fault) {
      if (fault.status === 429)
        return {
          ...jiraError(429, ['Rate limit exceeded.']),
          headers: {
            'retry-after': String(fault.retryAfterSeconds ?? 1),
            'x-ratelimit-reason': 'jira-burst-based',
          },
        };
      return jiraError(fault.status, ['Internal server error']);
    }
    const auth = this.authenticate(req);
    if (!auth)
      return {
        ...jiraError(401, ['You are not authenticated. Authentication required to perform this operation.']),
        headers: { 'x-seraph-loginreason': 'AUTHENTICATED_FAILED' },
      };
    call.accountId = auth.user.accountId;
    call.authScheme = auth.scheme;
    let body: unknown;
    if (method === 'POST' || method === 'PUT') {
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json'))
        return { status: 415, body: { errorMessages: ['Unsupported Media Type'], errors: {} } };
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        return jiraError(400, ['Unexpected character in the JSON body.']);
      }
      call.body = body;
    }
    return this.dispatch(auth.user, method, path.replace(/^\/rest\/api\/2/, ''), query, body);
  }

  private dispatch(
    me: FakeJiraUser,
    method: string,
    path: string,
    query: Record<string, string>,
    body: unknown,
  ): Reply {
    const base = this.baseUrl;
    const m = (re: RegExp) => path.match(re);
    const projectPath = m(/^\/project\/([^/]+)$/);
    const statusesPath = m(/^\/project\/([^/]+)\/statuses$/);

    if (method === 'GET' && path === '/myself')
      return { status: 200, body: userJson(base, me, me.accountId) };
    if (method === 'GET' && path === '/user') {
      const user = this.model.users.get(query.accountId ?? '');
      if (!user) return jiraError(404, [`The user with account ID '${query.accountId}' does not exist.`]);
      return { status: 200, body: userJson(base, user, user.accountId) };
    }
    if (method === 'GET' && path === '/mypermissions') return this.myPermissions(me, query);
    if (projectPath && method === 'GET') {
      const project = this.model.projects.get(projectPath[1]!);
      if (!project || !me.permissions.includes('BROWSE_PROJECTS'))
        return jiraError(404, [`No project could be found with key '${projectPath[1]}'.`]);
      return {
        status: 200,
        body: {
          id: project.id,
          key: project.key,
          name: project.name,
          issueTypes: project.issueTypes.map((t) => ({ id: t.id, name: t.name, subtask: false })),
        },
      };
    }
    if (statusesPath && method === 'GET') {
      const project = this.model.projects.get(statusesPath[1]!);
      if (!project || !me.permissions.includes('BROWSE_PROJECTS'))
        return jiraError(404, [`No project could be found with key '${statusesPath[1]}'.`]);
      return {
        status: 200,
        body: project.issueTypes.map((t) => ({
          id: t.id,
          name: t.name,
          subtask: false,
          statuses: t.statuses.map((s) => ({ id: s.id, name: s.name, description: '' })),
        })),
      };
    }
    if (method === 'POST' && path === '/issue') return this.createIssue(me, body);
    if (method === 'GET' && (path === '/search/jql' || path === '/search'))
      return this.search(me, path, query);

    const issueMatch = m(/^\/issue\/([^/]+)(\/.*)?$/);
    if (!issueMatch) return jiraError(404, [`null for uri: ${path}`]);
    const issue = this.model.findIssue(issueMatch[1]!);
    if (!issue || !me.permissions.includes('BROWSE_PROJECTS'))
      return jiraError(404, ['Issue does not exist or you do not have permission to see it.']);
    const rest = issueMatch[2] ?? '';

    if (rest === '' && method === 'GET')
      return { status: 200, body: issueJson(base, this.model, issue, (query.expand ?? '').split(',')) };
    const propertyPath = rest.match(/^\/properties\/([^/]+)$/);
    if (propertyPath) {
      const key = decodeURIComponent(propertyPath[1]!);
      if (method === 'GET') {
        if (!issue.properties.has(key))
          return jiraError(404, [`The property with key '${key}' does not exist.`]);
        return { status: 200, body: { key, value: issue.properties.get(key) } };
      }
      if (method === 'PUT') {
        if (!me.permissions.includes('EDIT_ISSUES'))
          return jiraError(403, ['You do not have permission to edit issue properties.']);
        if (body === undefined) return jiraError(400, ['The property value must be valid JSON.']);
        const existed = issue.properties.has(key);
        issue.properties.set(key, body);
        return { status: existed ? 200 : 201 };
      }
    }
    if (rest === '/changelog/list' && method === 'POST') {
      const ids = ((body as { changelogIds?: unknown } | undefined)?.changelogIds ?? []) as unknown[];
      if (!Array.isArray(ids) || ids.length === 0)
        return jiraError(400, [], { changelogIds: 'changelogIds must not be empty.' });
      const wanted = new Set(ids.map(String));
      const histories = issue.histories.filter((h) => wanted.has(h.id));
      return {
        status: 200,
        body: {
          startAt: 0,
          maxResults: 1000,
          total: histories.length,
          histories: histories.map((h) => historyJson(base, this.model, h)),
        },
      };
    }
    if (rest === '/comment' && method === 'GET') {
      const ordered = [...issue.comments];
      if (query.orderBy === '-created') ordered.reverse();
      const startAt = Number(query.startAt ?? 0) || 0;
      const maxResults = Math.min(Number(query.maxResults ?? 50) || 50, 100);
      const page = ordered.slice(startAt, startAt + maxResults);
      return {
        status: 200,
        body: {
          startAt,
          maxResults,
          total: issue.comments.length,
          comments: page.map((c) => commentJson(base, this.model, issue, c)),
        },
      };
    }
    if (rest === '/comment' && method === 'POST') {
      if (!me.permissions.includes('ADD_COMMENTS'))
        return jiraError(403, ['You do not have the permission to comment on this issue.']);
      const text = (body as { body?: unknown } | undefined)?.body;
      if (typeof text !== 'string' || text.trim() === '')
        return jiraError(400, [], { comment: 'Comment body can not be empty!' });
      if (text.length > MAX_TEXT)
        return jiraError(400, [], {
          comment: `The entered text is too long. It exceeds the allowed limit of ${MAX_TEXT.toLocaleString('en-US')} characters.`,
        });
      const comment = this.model.addComment(issue, me.accountId, text);
      return { status: 201, body: commentJson(base, this.model, issue, comment) };
    }
    if (rest === '/transitions' && method === 'GET') {
      return {
        status: 200,
        body: {
          expand: 'transitions',
          transitions: this.model
            .statusesOf(issue)
            .filter((s) => s.id !== issue.status.id)
            .map((s) => ({
              id: transitionIdFor(s),
              name: `Move to ${s.name}`,
              to: { id: s.id, name: s.name },
            })),
        },
      };
    }
    if (rest === '/transitions' && method === 'POST') {
      if (!me.permissions.includes('TRANSITION_ISSUES'))
        return jiraError(403, ['You do not have permission to transition this issue.']);
      const id = (body as { transition?: { id?: unknown } } | undefined)?.transition?.id;
      const target = this.model.statusesOf(issue).find((s) => transitionIdFor(s) === String(id));
      if (!target || target.id === issue.status.id)
        return jiraError(400, [`Transition id '${String(id)}' is not valid for this issue.`]);
      const history = this.model.setStatus(issue, target, me.accountId);
      this.deliverInBackground(buildWebhook(issueUpdatedPayload(base, this.model, issue, history), null));
      return { status: 204 };
    }
    return jiraError(405, ['Method Not Allowed']);
  }

  private myPermissions(me: FakeJiraUser, query: Record<string, string>): Reply {
    if (!query.permissions)
      return jiraError(400, [
        'The permissions query parameter is required (comma-separated permission keys).',
      ]);
    const keys = query.permissions.split(',');
    const inProject = !query.projectKey || this.model.projects.has(query.projectKey);
    if (!inProject) return jiraError(404, [`No project could be found with key '${query.projectKey}'.`]);
    const permissions = Object.fromEntries(
      keys.map((k) => [
        k,
        { id: k, key: k, name: k, type: 'PROJECT', havePermission: me.permissions.includes(k) },
      ]),
    );
    return { status: 200, body: { permissions } };
  }

  private createIssue(me: FakeJiraUser, body: unknown): Reply {
    const fields = ((body as { fields?: Record<string, unknown> } | undefined)?.fields ?? {}) as Record<
      string,
      unknown
    >;
    const errors: Record<string, string> = {};
    const projectKey = (fields.project as { key?: string } | undefined)?.key;
    const project = projectKey ? this.model.projects.get(projectKey) : undefined;
    if (!project) errors.project = 'valid project is required';
    const typeName = (fields.issuetype as { name?: string } | undefined)?.name;
    if (project && !project.issueTypes.some((t) => t.name === typeName))
      errors.issuetype = 'Specify a valid issue type';
    const summary = fields.summary;
    if (typeof summary !== 'string' || summary.trim() === '')
      errors.summary = 'You must specify a summary of the issue.';
    else if (summary.length > MAX_SUMMARY)
      errors.summary = `Summary must be less than ${MAX_SUMMARY} characters.`;
    if (/[\r\n]/.test(String(summary ?? '')))
      errors.summary = 'The summary is invalid because it contains newline characters.';
    const description = fields.description ?? '';
    if (typeof description !== 'string') errors.description = 'Operation value must be a string';
    else if (description.length > MAX_TEXT)
      errors.description = `The entered text is too long. It exceeds the allowed limit of ${MAX_TEXT.toLocaleString('en-US')} characters.`;
    const labels = (fields.labels ?? []) as unknown[];
    for (const label of labels)
      if (typeof label !== 'string' || /\s/.test(label) || label.length > 255)
        errors.labels = `The label '${String(label)}' contains spaces which is invalid.`;
    if (Object.keys(errors).length > 0) return jiraError(400, [], errors);
    if (!me.permissions.includes('CREATE_ISSUES'))
      return jiraError(403, ['You do not have permission to create issues in this project.']);
    const issue = this.model.createIssue({
      projectKey: project!.key,
      issueTypeName: typeName!,
      summary: summary as string,
      description: description as string,
      labels: labels as string[],
      reporterId: me.accountId,
    });
    return {
      status: 201,
      body: { id: issue.id, key: issue.key, self: `${this.baseUrl}/rest/api/2/issue/${issue.id}` },
    };
  }

  /** Supports the JQL the plugin needs: `project = "KEY" AND labels = "x"` (quotes optional). */
  private search(me: FakeJiraUser, path: string, query: Record<string, string>): Reply {
    const jql = query.jql ?? '';
    const match = jql.match(
      /^\s*project\s*=\s*"?([A-Z][A-Z0-9_]*)"?\s+AND\s+labels\s*=\s*"?([^"\s]+)"?\s*$/i,
    );
    if (!match) return jiraError(400, [`Error in the JQL Query: the fake cannot parse '${jql}'.`]);
    const [, projectKey, label] = match;
    const found = me.permissions.includes('BROWSE_PROJECTS')
      ? [...this.model.issues.values()].filter(
          (i) => i.projectKey === projectKey && i.labels.includes(label!),
        )
      : [];
    const issues = found.map((i) => issueJson(this.baseUrl, this.model, i));
    if (path === '/search/jql') return { status: 200, body: { issues, isLast: true } };
    return { status: 200, body: { startAt: 0, maxResults: 50, total: issues.length, issues } };
  }

  private deliverInBackground(unsigned: SignedWebhook): void {
    const target = this.webhookTarget;
    if (!target) return;
    const hook =
      target.secret === null
        ? unsigned
        : buildWebhook(JSON.parse(unsigned.rawBody.toString('utf8')), target.secret);
    const p = sendWebhook(target.url, hook)
      .then((r) => void this.deliveries.push({ hook, status: r.status }))
      .catch(() => void this.deliveries.push({ hook, status: 0 }))
      .finally(() => this.pendingDeliveries.delete(p));
    this.pendingDeliveries.add(p);
  }
}

function transitionIdFor(status: FakeStatus): string {
  return String(Number(status.id) - 10000 + 10);
}

export async function startFakeJira(opts: { pathPrefix?: string } = {}): Promise<FakeJira> {
  return new FakeJira(opts).start();
}
