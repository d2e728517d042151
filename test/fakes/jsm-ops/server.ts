// A fake JSM Operations and Opsgenie on 127.0.0.1, both APIs over one store:
// - JSM Operations at `/jsm/ops/api/{cloudId}/v1/...`, Basic auth with an Atlassian account
//   email and API token; the gateway answers a bad credential 401 `{code, message}`, an unknown
//   cloud id 404, and 429 with Retry-After and X-RateLimit-* headers.
// - Opsgenie v2 at `/v2/...`, `Authorization: GenieKey <key>`; 401 "Could not authenticate",
//   403 for a key without the needed rights, 429 with X-RateLimit-State / -Reason /
//   -Period-In-Sec (Opsgenie sends no Retry-After).
// Alert writes are asynchronous on both (see async-requests.ts). Every call is recorded;
// scripted faults (5xx, 429, a lost response) simulate an outage.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../read-body.js';
import { AsyncRequests } from './async-requests.js';
import { OpsDirectory } from './directory.js';
import type { Answer } from './http.js';
import { jsmError, jsmRoute } from './jsm-api.js';
import { ogError, opsgenieRoute } from './opsgenie-api.js';

export type Flavor = 'jsm' | 'opsgenie';

export interface RecordedCall {
  flavor: Flavor | null;
  method: string;
  /** Path below the API root: `/alerts`, `/schedules/{id}/on-calls`… */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: unknown;
  status: number;
  at: number;
}

export type Match = (method: string, path: string, flavor: Flavor) => boolean;

interface Fault {
  status: number;
  retryAfterSeconds?: number;
  /** Carry the call out, then answer `status` anyway: the caller never learns it worked. */
  afterCommit?: boolean;
  match?: Match;
  remaining: number;
}

export interface FakeJsmOps {
  /** Base URL to give the plugin as `base_url` (either flavor). */
  url: string;
  cloudId: string;
  email: string;
  apiToken: string;
  apiKey: string;
  dir: OpsDirectory;
  calls: RecordedCall[];
  /** Asynchronous writes: set `delayMs` to make processing slower. */
  queue: AsyncRequests;
  /** Valid credentials that lack the rights (JSM scopes, an Opsgenie key's access rights): 403. */
  forbidden: boolean;
  failNext(times: number, opts?: { status?: number; match?: Match }): void;
  rateLimitNext(times: number, retryAfterSeconds: number, match?: Match): void;
  loseNextResponse(match?: Match): void;
  callsTo(method: string, path: string | RegExp): RecordedCall[];
  unusedFaults(): number;
  stop(): Promise<void>;
}

export const isWrite: Match = (method) => method !== 'GET';

const JSM_PREFIX = /^\/jsm\/ops\/api\/([^/]+)\/v1(\/.*)$/;

function rateLimitAnswer(flavor: Flavor, seconds: number): Answer {
  if (flavor === 'opsgenie') {
    return {
      ...ogError(429, 'You are making too many requests! To avoid errors, we recommend you limit requests.'),
      headers: {
        'x-ratelimit-state': 'THROTTLED',
        'x-ratelimit-reason': 'ALERT',
        'x-ratelimit-period-in-sec': String(seconds),
      },
    };
  }
  return {
    status: 429,
    body: { code: 429, message: 'Rate limit exceeded' },
    headers: {
      'retry-after': String(seconds),
      'x-ratelimit-limit': '100',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': new Date(Date.now() + seconds * 1000).toISOString(),
      'ratelimit-reason': 'jsm-ops-quota-tenant-based',
    },
  };
}

function serverError(flavor: Flavor, status: number): Answer {
  return flavor === 'opsgenie'
    ? ogError(status, 'Internal Server Error')
    : jsmError(status, 'Internal Server Error', 'INTERNAL_SERVER_ERROR');
}

export async function startFakeJsmOps(
  opts: { cloudId?: string; email?: string; apiToken?: string; apiKey?: string } = {},
): Promise<FakeJsmOps> {
  const cloudId = opts.cloudId ?? randomUUID();
  const email = opts.email ?? 'accessbot@example.com';
  const apiToken = opts.apiToken ?? 'ATATT-fake-token-0123456789';
  const apiKey = opts.apiKey ?? randomUUID();
  const basic = `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`;
  const dir = new OpsDirectory();
  const queue = new AsyncRequests(dir);
  const calls: RecordedCall[] = [];
  const faults: Fault[] = [];
  const state = { forbidden: false };

  const takeFault = (method: string, path: string, flavor: Flavor): Fault | undefined => {
    const fault = faults.find((f) => f.remaining > 0 && (!f.match || f.match(method, path, flavor)));
    if (fault) fault.remaining -= 1;
    return fault;
  };

  const faultAnswer = (fault: Fault, flavor: Flavor): Answer =>
    fault.status === 429
      ? rateLimitAnswer(flavor, fault.retryAfterSeconds ?? 1)
      : serverError(flavor, fault.status);

  const handle = (
    method: string,
    url: URL,
    headers: Record<string, string | undefined>,
    body: unknown,
    raw: Buffer,
  ) => {
    const jsm = JSM_PREFIX.exec(url.pathname);
    const flavor: Flavor | null = jsm ? 'jsm' : url.pathname.startsWith('/v2/') ? 'opsgenie' : null;
    const path = jsm ? jsm[2]! : flavor === 'opsgenie' ? url.pathname.slice(3) : url.pathname;
    const record = (answer: Answer) => {
      calls.push({
        flavor,
        method,
        path,
        query: url.searchParams,
        headers,
        body,
        status: answer.status,
        at: Date.now(),
      });
      return answer;
    };
    if (!flavor) return record({ status: 404, body: { code: 404, message: 'Not Found' } });
    const auth = headers.authorization;
    if (flavor === 'jsm') {
      if (auth !== basic) return record({ status: 401, body: { code: 401, message: 'Unauthorized' } });
      // The gateway knows no site with this id.
      if (jsm![1] !== cloudId) return record({ status: 404, body: { code: 404, message: 'Site not found' } });
      if (state.forbidden)
        return record(jsmError(403, "You don't have permission to perform this operation.", 'FORBIDDEN'));
    } else {
      if (auth !== `GenieKey ${apiKey}`) return record(ogError(401, 'Could not authenticate'));
      if (state.forbidden) return record(ogError(403, 'You do not have access to perform this operation.'));
    }
    if (
      typeof body === 'string' ||
      (raw.length > 0 && !headers['content-type']?.startsWith('application/json'))
    ) {
      return record(
        flavor === 'jsm'
          ? jsmError(415, 'Content type not supported', 'UNSUPPORTED_MEDIA_TYPE')
          : ogError(415, 'Content type is not supported. Use application/json.'),
      );
    }
    const fault = takeFault(method, path, flavor);
    if (fault && !fault.afterCommit) return record(faultAnswer(fault, flavor));
    let answer =
      flavor === 'jsm'
        ? jsmRoute(dir, queue, method, path, url.searchParams, body, email)
        : opsgenieRoute(dir, queue, method, path, url.searchParams, body);
    if (fault?.afterCommit) answer = faultAnswer(fault, flavor);
    return record(answer);
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    let body: unknown = null;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : null;
    } catch {
      body = raw.toString('utf8');
    }
    const answer = handle(req.method ?? 'GET', url, headers, body, raw);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    cloudId,
    email,
    apiToken,
    apiKey,
    dir,
    calls,
    queue,
    get forbidden() {
      return state.forbidden;
    },
    set forbidden(value: boolean) {
      state.forbidden = value;
    },
    failNext(times, o = {}) {
      faults.push({ status: o.status ?? 500, remaining: times, ...(o.match ? { match: o.match } : {}) });
    },
    rateLimitNext(times, retryAfterSeconds, match) {
      faults.push({ status: 429, retryAfterSeconds, remaining: times, ...(match ? { match } : {}) });
    },
    loseNextResponse(match) {
      faults.push({ status: 502, afterCommit: true, remaining: 1, ...(match ? { match } : {}) });
    },
    callsTo(method, path) {
      return calls.filter(
        (c) => c.method === method && (typeof path === 'string' ? c.path === path : path.test(c.path)),
      );
    },
    unusedFaults: () => faults.reduce((sum, f) => sum + f.remaining, 0),
    async stop() {
      queue.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
