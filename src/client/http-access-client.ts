// HttpAccessClient: the typed access API over HTTP (global fetch). Server errors come back
// as AccessbotError with the server's code; a server that cannot be reached is API_UNAVAILABLE.

import type { AccessRequest, Role, User } from '../access/types.js';
import { AccessbotError } from '../errors.js';
import { errorFromResponse, unavailable } from './response-errors.js';
import type {
  AccessClient,
  CreatedRequest,
  CreateRequestInput,
  IssuedToken,
  ListRequestsFilter,
  ListRequestsPageQuery,
  NamePageQuery,
  RequestPage,
  ResolveInput,
  ReviewInput,
  RolePage,
  UserInput,
  UserPage,
  WatchOptions,
  WhoAmI,
} from './types.js';
import { followWatchStream } from './watch-client.js';

/** Page size of `listRequests` (the server's maximum) and the default of `listRequestsPage`. */
const FULL_LIST_PAGE = 1000;
const DEFAULT_PAGE = 500;

export interface HttpAccessClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs?: number;
  /** A watch connection silent this long counts as dropped (default 45 s: three heartbeats). */
  watchIdleTimeoutMs?: number;
}

function namePageParams(q: NamePageQuery): Record<string, string> {
  return {
    limit: String(q.limit ?? DEFAULT_PAGE),
    ...(q.after ? { after: q.after } : {}),
  };
}

/** A token is one word of visible ASCII (ours are `abt_` + base64url); anything else can't be a header value. */
export function isHeaderSafeToken(token: string): boolean {
  return /^[!-~]+$/.test(token);
}

export class HttpAccessClient implements AccessClient {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly watchIdleTimeoutMs: number | undefined;

  constructor(opts: HttpAccessClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    // fetch would reject such a header with an error quoting it, token and all: refuse it here.
    if (!isHeaderSafeToken(opts.token)) {
      throw new AccessbotError(
        'INVALID_TOKEN',
        'the API token contains spaces, line breaks or control characters',
      );
    }
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.watchIdleTimeoutMs = opts.watchIdleTimeoutMs;
  }

  withToken(token: string): HttpAccessClient {
    return new HttpAccessClient({ baseUrl: this.baseUrl, token, timeoutMs: this.timeoutMs });
  }

  whoami(): Promise<WhoAmI> {
    return this.call('GET', '/v1/whoami');
  }

  createRequest(input: CreateRequestInput): Promise<CreatedRequest> {
    return this.call('POST', '/v1/requests', input);
  }

  getRequest(id: string): Promise<AccessRequest> {
    return this.call('GET', `/v1/requests/${enc(id)}`);
  }

  async listRequests(filter: ListRequestsFilter = {}): Promise<AccessRequest[]> {
    const all: AccessRequest[] = [];
    let after: string | undefined;
    do {
      const page = await this.listRequestsPage({
        ...filter,
        limit: FULL_LIST_PAGE,
        ...(after ? { after } : {}),
      });
      all.push(...page.requests);
      after = page.next;
    } while (after);
    return all;
  }

  listRequestsPage(q: ListRequestsPageQuery = {}): Promise<RequestPage> {
    const { limit, ...rest } = q;
    return this.call('GET', `/v1/requests${query({ ...rest, limit: String(limit ?? DEFAULT_PAGE) })}`);
  }

  submitReview(id: string, input: ReviewInput): Promise<AccessRequest> {
    return this.call('POST', `/v1/requests/${enc(id)}/reviews`, input);
  }

  resolveRequest(id: string, input: ResolveInput): Promise<AccessRequest> {
    return this.call('POST', `/v1/requests/${enc(id)}/resolve`, input);
  }

  async deleteRequest(id: string): Promise<void> {
    await this.call('DELETE', `/v1/requests/${enc(id)}`);
  }

  async listUsers(): Promise<User[]> {
    return this.followPages(
      (after) => this.listUsersPage({ limit: FULL_LIST_PAGE, ...after }),
      (p) => p.users,
    );
  }

  listUsersPage(q: NamePageQuery = {}): Promise<UserPage> {
    return this.call('GET', `/v1/users${query(namePageParams(q))}`);
  }

  getUser(name: string): Promise<User> {
    return this.call('GET', `/v1/users/${enc(name)}`);
  }

  async lookupUser(q: { email: string } | { trait: string; value: string }): Promise<User | null> {
    try {
      return await this.call<User>('GET', `/v1/users/lookup${query(q)}`);
    } catch (err) {
      if (err instanceof AccessbotError && err.code === 'USER_NOT_FOUND') return null;
      throw err;
    }
  }

  upsertUser(input: UserInput): Promise<User> {
    return this.call('POST', '/v1/users', input);
  }

  async deleteUser(name: string): Promise<void> {
    await this.call('DELETE', `/v1/users/${enc(name)}`);
  }

  issueToken(user: string, opts: { ttl?: string; description?: string } = {}): Promise<IssuedToken> {
    return this.call('POST', `/v1/users/${enc(user)}/tokens`, opts);
  }

  async listRoles(): Promise<Role[]> {
    return this.followPages(
      (after) => this.listRolesPage({ limit: FULL_LIST_PAGE, ...after }),
      (p) => p.roles,
    );
  }

  listRolesPage(q: NamePageQuery = {}): Promise<RolePage> {
    return this.call('GET', `/v1/roles${query(namePageParams(q))}`);
  }

  /** Every item of a paged list: asks for the next page while the last one carried `next`. */
  private async followPages<P extends { next?: string }, T>(
    page: (after: { after?: string }) => Promise<P>,
    items: (page: P) => T[],
  ): Promise<T[]> {
    const all: T[] = [];
    let after: string | undefined;
    do {
      const p = await page(after ? { after } : {});
      all.push(...items(p));
      after = p.next;
    } while (after);
    return all;
  }

  applyRoles(roles: Role[]): Promise<Role[]> {
    return this.call('POST', '/v1/roles', roles);
  }

  /** Applies roles from YAML text exactly as written (one or more documents). */
  applyRolesYaml(yaml: string): Promise<Role[]> {
    return this.call('POST', '/v1/roles', yaml, 'application/yaml');
  }

  async deleteRole(name: string): Promise<void> {
    await this.call('DELETE', `/v1/roles/${enc(name)}`);
  }

  async latestSeq(): Promise<number> {
    return (await this.call<{ seq: number }>('GET', '/v1/events/latest')).seq;
  }

  watch(opts: WatchOptions): Promise<void> {
    return followWatchStream(
      {
        baseUrl: this.baseUrl,
        token: this.token,
        connectTimeoutMs: this.timeoutMs,
        ...(this.watchIdleTimeoutMs === undefined ? {} : { idleTimeoutMs: this.watchIdleTimeoutMs }),
      },
      opts,
    );
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
    };
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = contentType;
      payload = typeof body === 'string' && contentType !== 'application/json' ? body : JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw unavailable(this.baseUrl, err);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!res.ok) throw errorFromResponse(res.status, text);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new AccessbotError(
        'INTERNAL',
        `access API sent a response that is not JSON (HTTP ${res.status})`,
      );
    }
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function query(params: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
