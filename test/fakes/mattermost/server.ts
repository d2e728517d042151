// A fake Mattermost server on 127.0.0.1 that answers the REST API v4 as Mattermost does: the
// paths Client4 calls, `Authorization: Bearer <token>`, JSON errors `{id, message,
// detailed_error, request_id, status_code}`, and its rate limiter's 429 as text/plain with
// `X-Ratelimit-Reset` (and Retry-After). It keeps teams, channels, users, posts (with every
// version), ephemeral posts and opened dialogs, so tests can assert what a person would see.
// Clicks and dialog submissions are relayed to the integration the way the server relays them
// (interactions.ts). Outage modes make it fail on purpose.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../read-body.js';

type Json = Record<string, unknown>;

export interface FakeMattermostUser {
  id: string;
  username: string;
  email: string;
  isBot?: boolean;
}

export interface FakeChannel {
  id: string;
  teamId: string;
  name: string;
  displayName: string;
  /** O public, P private, D direct. */
  type: 'O' | 'P' | 'D';
  members: Set<string>;
}

export interface FakePost {
  id: string;
  channel_id: string;
  user_id: string;
  root_id: string;
  message: string;
  props: Json;
  create_at: number;
  update_at: number;
  edit_at: number;
  /** Every version, oldest first (the post, then each edit). */
  history: { message: string; props: Json }[];
}

export interface FakeEphemeral {
  userId: string;
  channelId: string;
  message: string;
}

export interface OpenedDialog {
  triggerId: string;
  userId: string;
  channelId: string;
  url: string;
  dialog: Json;
}

export interface FakeCall {
  /** Which API operation, named as Client4 names it (createPost, patchPost, getPosts, …). */
  op: string;
  method: string;
  path: string;
  status: number;
  at: number;
  /** The `channel_id` of a post call's body. */
  channel?: string;
}

function channelOf(raw: string): string | undefined {
  try {
    const body = JSON.parse(raw) as { channel_id?: unknown } | null;
    return typeof body?.channel_id === 'string' ? body.channel_id : undefined;
  } catch {
    return undefined;
  }
}

/** Operations that write posts: what outage modes hit by default. */
export const WRITE_OPS = ['createPost', 'patchPost'];

/** Mattermost's limits (model/post.go, model/integration_action.go). */
export const MATTERMOST_LIMITS = {
  postMessageRunes: 16_383,
  postPropsRunes: 800_000,
  dialogTitleRunes: 24,
  dialogElements: 5,
  textareaMaxLength: 3000,
  perPageMax: 200,
  /** `OutgoingIntegrationRequestsTimeout`: how long a trigger id is good for. */
  triggerTtlMs: 30_000,
} as const;

const ALNUM_ID = /^[a-zA-Z0-9]+$/;

interface Failure {
  status: number;
  retryAfterSeconds?: number;
  /** Send Retry-After besides X-Ratelimit-Reset (the limiter sends both). */
  retryAfterHeader?: boolean;
  ops: string[];
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
  ) {
    super(message);
  }
}

/** A 26-character Mattermost id. */
export function newId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(26), (b) => alphabet[b % alphabet.length]).join('');
}

export class FakeMattermost {
  readonly token = `fake-bot-token-${newId()}`;
  readonly bot: FakeMattermostUser = {
    id: newId(),
    username: 'accessbot',
    email: 'accessbot@localhost',
    isBot: true,
  };
  readonly users = new Map<string, FakeMattermostUser>([[this.bot.id, this.bot]]);
  readonly teams = new Map<string, string>();
  readonly channels = new Map<string, FakeChannel>();
  readonly posts: FakePost[] = [];
  readonly ephemerals: FakeEphemeral[] = [];
  readonly dialogs: OpenedDialog[] = [];
  readonly calls: FakeCall[] = [];
  /** `ServiceSettings.AllowedUntrustedInternalConnections`: host names integrations may use on internal addresses. */
  allowedUntrustedInternalConnections: string[] = [];
  /** Whether other users' emails are shown to the bot (`PrivacySettings.ShowEmailAddress`). */
  showEmailAddress = true;
  /** Artificial delay per call (ms), to mimic a slow server. */
  latencyMs = 0;
  /** Host name → where it really is (the fake's DNS), for integration URLs. */
  private readonly hosts = new Map<string, string>();
  private readonly triggers = new Map<string, { userId: string; channelId: string; issued: number }>();
  private failures: Failure[] = [];
  private lostAnswers: { ops: string[]; channels?: string[] }[] = [];
  /** Calls to hold open (the caller is about to die), acting on them first or not. */
  private stalls: { matches: (op: string, body: Json) => boolean; act: boolean }[] = [];
  private readonly stalled: ServerResponse[] = [];
  private server?: Server;
  private port = 0;
  private clock = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) =>
        this.sendError(res, 500, 'api.fake.internal', String(err)),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.releaseStalled();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** The site URL the plugin takes as `url`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  addTeam(name: string): string {
    const id = newId();
    this.teams.set(name, id);
    return id;
  }

  /** A channel of `team` the bot is a member of (unless `botMember: false`). */
  addChannel(team: string, name: string, opts: { type?: 'O' | 'P'; botMember?: boolean } = {}): string {
    const teamId = this.teams.get(team) ?? this.addTeam(team);
    const id = newId();
    this.channels.set(id, {
      id,
      teamId,
      name,
      displayName: name,
      type: opts.type ?? 'O',
      members: new Set(opts.botMember === false ? [] : [this.bot.id]),
    });
    return id;
  }

  addUser(username: string, email: string): FakeMattermostUser {
    const user = { id: newId(), username, email };
    this.users.set(user.id, user);
    return user;
  }

  userByName(username: string): FakeMattermostUser {
    const user = [...this.users.values()].find((u) => u.username === username);
    if (!user) throw new Error(`fake Mattermost has no user ${username}`);
    return user;
  }

  /** Integration URLs on `hostname` reach `baseUrl` (scheme, host and port of the real listener). */
  mapHost(hostname: string, baseUrl: string): void {
    this.hosts.set(hostname, baseUrl.replace(/\/+$/, ''));
  }

  /** The direct channel between the bot and `userId`, if one was created. */
  directChannelOf(userId: string): string | undefined {
    return [...this.channels.values()].find(
      (c) => c.type === 'D' && c.members.has(userId) && c.members.has(this.bot.id) && c.members.size === 2,
    )?.id;
  }

  rootPosts(channelId?: string): FakePost[] {
    return this.posts.filter((p) => !p.root_id && (channelId === undefined || p.channel_id === channelId));
  }

  threadReplies(postId: string): FakePost[] {
    return this.posts.filter((p) => p.root_id === postId);
  }

  callsTo(op: string): FakeCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  /** The next `count` calls to `ops` (default: post writes) answer `status` (5xx). */
  failNext(count: number, opts: { status?: number; ops?: string[] } = {}): void {
    for (let i = 0; i < count; i++)
      this.failures.push({ status: opts.status ?? 500, ops: opts.ops ?? WRITE_OPS });
  }

  /**
   * The next `count` calls to `ops` (default: post writes) hit the rate limiter: 429, text/plain,
   * `X-Ratelimit-Reset: seconds`, and Retry-After unless `retryAfterHeader: false`.
   */
  rateLimitNext(
    count: number,
    seconds: number,
    opts: { ops?: string[]; retryAfterHeader?: boolean } = {},
  ): void {
    for (let i = 0; i < count; i++)
      this.failures.push({
        status: 429,
        retryAfterSeconds: seconds,
        retryAfterHeader: opts.retryAfterHeader ?? true,
        ops: opts.ops ?? WRITE_OPS,
      });
  }

  /** The next `count` createPost calls (optionally only into `channels`) land, but their answer is a 504. */
  loseNextAnswers(count: number, opts: { ops?: string[]; channels?: string[] } = {}): void {
    for (let i = 0; i < count; i++) this.lostAnswers.push({ ops: opts.ops ?? ['createPost'], ...opts });
  }

  /**
   * The next `count` calls that `matches` are held open without an answer, as when the caller
   * dies mid-call; with `act` the server does the work first (the post lands), without it not.
   */
  stallNext(count: number, matches: (op: string, body: Json) => boolean, opts: { act: boolean }): void {
    for (let i = 0; i < count; i++) this.stalls.push({ matches, act: opts.act });
  }

  /** How many calls are being held open now. */
  get stalledCalls(): number {
    return this.stalled.length;
  }

  /** Drops the held calls' connections (their caller is gone anyway). */
  releaseStalled(): void {
    for (const res of this.stalled.splice(0)) res.destroy();
  }

  /** Faults queued that no call has hit yet. */
  pendingFaults(): number {
    return this.failures.length + this.lostAnswers.length;
  }

  // ---- the server side of clicks and dialogs (used by interactions.ts) ----

  issueTrigger(userId: string, channelId: string): string {
    const id = `${newId()}:${userId}:${Date.now()}`;
    this.triggers.set(id, { userId, channelId, issued: Date.now() });
    return id;
  }

  /**
   * POSTs JSON to an integration URL as the server's outgoing client does: the host name is
   * looked up in the fake's DNS, and an internal address is refused unless the host name is in
   * `allowedUntrustedInternalConnections`.
   */
  async postToIntegration(
    url: string,
    body: Json,
  ): Promise<{ status: number; json: Json | undefined; text: string }> {
    const target = new URL(url);
    const mapped = this.hosts.get(target.hostname);
    const real = mapped ? new URL(target.pathname + target.search, mapped) : target;
    const internal = /^(127\.|10\.|192\.168\.|localhost$|\[::1\]$)/.test(real.hostname);
    if (internal && !this.allowedUntrustedInternalConnections.includes(target.hostname)) {
      throw new ApiError(
        400,
        'api.post.do_action.action_integration.app_error',
        `address forbidden: ${target.hostname} is internal and not in AllowedUntrustedInternalConnections`,
      );
    }
    const res = await fetch(real, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Mattermost-Bot/1.1' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    let json: Json | undefined;
    try {
      json = text ? (JSON.parse(text) as Json) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }

  /** Applies an integration's `update` to a post as the server does: the whole message and props are replaced. */
  applyUpdate(post: FakePost, update: Json): void {
    post.message = typeof update.message === 'string' ? update.message : '';
    if (update.props && typeof update.props === 'object') post.props = update.props as Json;
    post.edit_at = this.now();
    post.history.push({ message: post.message, props: post.props });
  }

  addEphemeral(userId: string, channelId: string, message: string): void {
    this.ephemerals.push({ userId, channelId, message });
  }

  postById(id: string): FakePost | undefined {
    return this.posts.find((p) => p.id === id);
  }

  // ---- the REST API ----

  private now(): number {
    // Strictly increasing, as create_at orders a channel's posts.
    this.clock = Math.max(this.clock + 1, Date.now());
    return this.clock;
  }

  private sendError(res: ServerResponse, status: number, id: string, message: string): void {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id, message, detailed_error: '', request_id: newId(), status_code: status }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const raw = (await readBody(req)).toString('utf8');
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const route = this.route(req.method ?? 'GET', url.pathname);
    const call: FakeCall = {
      op: route?.op ?? 'unknown',
      method: req.method ?? 'GET',
      path: url.pathname,
      status: 200,
      at: Date.now(),
      ...(channelOf(raw) ? { channel: channelOf(raw) } : {}),
    };
    this.calls.push(call);
    const fail = (status: number, id: string, message: string) => {
      call.status = status;
      this.sendError(res, status, id, message);
    };
    if (!route) return fail(404, 'api.context.404.app_error', 'Sorry, we could not find the page.');
    const failureIndex = this.failures.findIndex((f) => f.ops.includes(route.op));
    if (failureIndex >= 0) {
      const failure = this.failures.splice(failureIndex, 1)[0]!;
      call.status = failure.status;
      if (failure.status === 429) {
        const seconds = String(failure.retryAfterSeconds ?? 1);
        res.writeHead(429, {
          'content-type': 'text/plain; charset=utf-8',
          'x-ratelimit-limit': '10',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': seconds,
          ...(failure.retryAfterHeader ? { 'retry-after': seconds } : {}),
        });
        res.end('limit exceeded\n');
        return;
      }
      return fail(failure.status, 'api.fake.outage', 'The server is having trouble.');
    }
    // Mattermost takes the scheme in any case (Client4 sends `BEARER`).
    const bearer = /^bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== this.token) {
      return fail(
        401,
        'api.context.session_expired.app_error',
        'Invalid or expired session, please login again.',
      );
    }
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return fail(
        400,
        'api.context.invalid_body_param.app_error',
        'Invalid or missing body in request body.',
      );
    }
    const stall = this.stalls.findIndex((st) => st.matches(route.op, (body ?? {}) as Json));
    const act = stall < 0 || this.stalls[stall]!.act;
    let result: unknown;
    if (act) {
      try {
        result = route.run(body, url.searchParams);
      } catch (err) {
        if (err instanceof ApiError) return fail(err.status, err.id, err.message);
        throw err;
      }
    }
    if (stall >= 0) {
      // Held open until released: the caller never hears whether the call acted.
      this.stalls.splice(stall, 1);
      call.status = 0;
      this.stalled.push(res);
      return;
    }
    const lost = this.lostAnswers.findIndex(
      (l) =>
        l.ops.includes(route.op) &&
        (!l.channels || l.channels.includes(String((body as Json | undefined)?.channel_id ?? ''))),
    );
    if (lost >= 0) {
      this.lostAnswers.splice(lost, 1);
      call.status = 504;
      res.writeHead(504, { 'content-type': 'text/html' });
      res.end('<html><body><h1>504 Gateway Time-out</h1></body></html>');
      return;
    }
    res.writeHead(route.status ?? 200, {
      'content-type': 'application/json',
      'x-version-id': '10.11.0.fake',
    });
    res.end(JSON.stringify(result));
  }

  /** Every REST route the fake serves: method, path below /api/v4, Client4's name for it. */
  private readonly routes: {
    method: string;
    path: RegExp;
    op: string;
    status?: number;
    run: (params: string[], body: unknown, q: URLSearchParams) => unknown;
  }[] = [
    { method: 'GET', path: /^\/users\/me$/, op: 'getMe', run: () => this.userJson(this.bot) },
    {
      method: 'GET',
      path: /^\/users\/email\/([^/]+)$/,
      op: 'getUserByEmail',
      run: ([email]) => {
        // As Mattermost does: no lookup by email for a bot that may not see emails.
        if (!this.showEmailAddress) {
          throw new ApiError(
            403,
            'api.user.get_user_by_email.permissions.app_error',
            'Unable to get user by email.',
          );
        }
        return this.userJson(this.findUser((u) => u.email.toLowerCase() === email!.toLowerCase()));
      },
    },
    {
      method: 'GET',
      path: /^\/users\/username\/([^/]+)$/,
      op: 'getUserByUsername',
      run: ([name]) => this.userJson(this.findUser((u) => u.username === name!.toLowerCase())),
    },
    {
      method: 'GET',
      path: /^\/users\/([a-z0-9]{26})$/,
      op: 'getUser',
      run: ([id]) => this.userJson(this.findUser((u) => u.id === id)),
    },
    {
      method: 'GET',
      path: /^\/teams\/name\/([^/]+)\/channels\/name\/([^/]+)$/,
      op: 'getChannelByNameAndTeamName',
      run: ([team, name]) => this.channelByName(team!, name!),
    },
    {
      method: 'POST',
      path: /^\/channels\/direct$/,
      op: 'createDirectChannel',
      status: 201,
      run: (_p, body) => this.directChannel(body),
    },
    {
      method: 'GET',
      path: /^\/channels\/([a-z0-9]{26})\/posts$/,
      op: 'getPosts',
      run: ([id], _b, q) => this.channelPosts(id!, q),
    },
    {
      method: 'POST',
      path: /^\/posts$/,
      op: 'createPost',
      status: 201,
      run: (_p, body) => this.createPost(body),
    },
    {
      method: 'POST',
      path: /^\/posts\/ephemeral$/,
      op: 'createPostEphemeral',
      status: 201,
      run: (_p, body) => this.createEphemeral(body),
    },
    {
      method: 'PUT',
      path: /^\/posts\/([a-z0-9]{26})\/patch$/,
      op: 'patchPost',
      run: ([id], body) => this.patchPost(id!, body),
    },
    {
      method: 'GET',
      path: /^\/posts\/([a-z0-9]{26})\/thread$/,
      op: 'getPostThread',
      run: ([id]) => this.thread(id!),
    },
    {
      method: 'POST',
      path: /^\/actions\/dialogs\/open$/,
      op: 'openDialog',
      run: (_p, body) => this.openDialog(body),
    },
  ];

  private route(
    method: string,
    path: string,
  ): { op: string; status?: number; run: (body: unknown, q: URLSearchParams) => unknown } | undefined {
    if (!path.startsWith('/api/v4/')) return undefined;
    const below = path.slice('/api/v4'.length);
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const match = route.path.exec(below);
      if (!match) continue;
      const params = match.slice(1).map((s) => decodeURIComponent(s));
      return {
        op: route.op,
        ...(route.status ? { status: route.status } : {}),
        run: (body, q) => route.run(params, body, q),
      };
    }
    return undefined;
  }

  private findUser(match: (u: FakeMattermostUser) => boolean): FakeMattermostUser {
    const user = [...this.users.values()].find(match);
    if (!user) throw new ApiError(404, 'app.user.missing_account.const', 'Unable to find the user.');
    return user;
  }

  private userJson(user: FakeMattermostUser): Json {
    const showEmail = this.showEmailAddress || user.id === this.bot.id;
    return {
      id: user.id,
      username: user.username,
      email: showEmail ? user.email : '',
      first_name: '',
      last_name: '',
      nickname: '',
      roles: user.isBot ? 'system_user' : 'system_user',
      is_bot: user.isBot ?? false,
      create_at: 0,
      update_at: 0,
      delete_at: 0,
      locale: 'en',
    };
  }

  private channelJson(channel: FakeChannel): Json {
    return {
      id: channel.id,
      team_id: channel.teamId,
      name: channel.name,
      display_name: channel.displayName,
      type: channel.type,
      create_at: 0,
      update_at: 0,
      delete_at: 0,
    };
  }

  private channelByName(team: string, name: string): Json {
    const teamId = this.teams.get(team);
    const channel = [...this.channels.values()].find((c) => c.teamId === teamId && c.name === name);
    if (!teamId || !channel)
      throw new ApiError(404, 'app.channel.get_by_name.missing.app_error', 'Channel does not exist.');
    return this.channelJson(channel);
  }

  private directChannel(body: unknown): Json {
    if (
      !Array.isArray(body) ||
      body.length !== 2 ||
      !body.every((id) => typeof id === 'string' && this.users.has(id))
    ) {
      throw new ApiError(
        400,
        'api.context.invalid_body_param.app_error',
        'Invalid or missing user_ids in request body.',
      );
    }
    const [a, b] = body as string[];
    if (a !== this.bot.id && b !== this.bot.id)
      throw new ApiError(
        403,
        'api.context.permissions.app_error',
        'You do not have the appropriate permissions.',
      );
    const other = a === this.bot.id ? b! : a!;
    const existing = this.directChannelOf(other);
    if (existing) return this.channelJson(this.channels.get(existing)!);
    const id = newId();
    const channel: FakeChannel = {
      id,
      teamId: '',
      name: [a, b].sort().join('__'),
      displayName: '',
      type: 'D',
      members: new Set([a!, b!]),
    };
    this.channels.set(id, channel);
    return this.channelJson(channel);
  }

  /** What a client gets: `integration` (url and context) is stripped from every action. */
  private postJson(post: FakePost): Json {
    const props = JSON.parse(JSON.stringify(post.props)) as Json;
    for (const attachment of (props.attachments as Json[] | undefined) ?? []) {
      for (const action of (attachment.actions as Json[] | undefined) ?? []) delete action.integration;
    }
    return {
      id: post.id,
      channel_id: post.channel_id,
      user_id: post.user_id,
      root_id: post.root_id,
      message: post.message,
      props,
      create_at: post.create_at,
      update_at: post.update_at,
      edit_at: post.edit_at,
      delete_at: 0,
      type: '',
      hashtags: '',
      pending_post_id: '',
      metadata: {},
    };
  }

  private channelPosts(channelId: string, q: URLSearchParams): Json {
    this.writableChannel(channelId);
    const page = Number(q.get('page') ?? 0) || 0;
    const perPage = Math.min(Number(q.get('per_page') ?? 60) || 60, MATTERMOST_LIMITS.perPageMax);
    const newestFirst = this.posts.filter((p) => p.channel_id === channelId).reverse();
    const slice = newestFirst.slice(page * perPage, (page + 1) * perPage);
    return {
      order: slice.map((p) => p.id),
      posts: Object.fromEntries(slice.map((p) => [p.id, this.postJson(p)])),
      next_post_id: '',
      prev_post_id: '',
      has_next: newestFirst.length > (page + 1) * perPage,
    };
  }

  private thread(postId: string): Json {
    const root = this.postById(postId);
    if (!root || root.root_id) throw new ApiError(404, 'app.post.get.app_error', 'Unable to get the post.');
    const all = [root, ...this.threadReplies(postId)];
    return {
      order: all.map((p) => p.id),
      posts: Object.fromEntries(all.map((p) => [p.id, this.postJson(p)])),
      next_post_id: '',
      prev_post_id: '',
    };
  }

  private writableChannel(channelId: unknown): FakeChannel {
    const channel = typeof channelId === 'string' ? this.channels.get(channelId) : undefined;
    if (!channel)
      throw new ApiError(404, 'app.channel.get.existing.app_error', 'Unable to find the existing channel.');
    if (!channel.members.has(this.bot.id))
      throw new ApiError(
        403,
        'api.context.permissions.app_error',
        'You do not have the appropriate permissions.',
      );
    return channel;
  }

  private checkContent(message: unknown, props: unknown): void {
    if (typeof message !== 'string')
      throw new ApiError(
        400,
        'api.context.invalid_body_param.app_error',
        'Invalid or missing message in request body.',
      );
    if (Array.from(message).length > MATTERMOST_LIMITS.postMessageRunes)
      throw new ApiError(
        400,
        'model.post.is_valid.message_length.app_error',
        'Post Message property is longer than the maximum permitted length.',
      );
    if (props !== undefined && (typeof props !== 'object' || props === null || Array.isArray(props)))
      throw new ApiError(400, 'api.context.invalid_body_param.app_error', 'Invalid props.');
    if (props && Array.from(JSON.stringify(props)).length > MATTERMOST_LIMITS.postPropsRunes)
      throw new ApiError(400, 'model.post.is_valid.props.app_error', 'Invalid props.');
    if (message === '' && !((props as Json | undefined)?.attachments as unknown[] | undefined)?.length)
      throw new ApiError(400, 'api.post.create_post.message_empty', 'Post is empty.');
  }

  private createPost(body: unknown): Json {
    const b = (body ?? {}) as Json;
    const channel = this.writableChannel(b.channel_id);
    this.checkContent(b.message, b.props);
    const rootId = typeof b.root_id === 'string' ? b.root_id : '';
    if (rootId) {
      const root = this.postById(rootId);
      if (!root || root.root_id || root.channel_id !== channel.id)
        throw new ApiError(400, 'api.post.create_post.root_id.app_error', 'Invalid RootId parameter.');
    }
    const at = this.now();
    const props = (b.props ?? {}) as Json;
    const post: FakePost = {
      id: newId(),
      channel_id: channel.id,
      user_id: this.bot.id,
      root_id: rootId,
      message: b.message as string,
      props,
      create_at: at,
      update_at: at,
      edit_at: 0,
      history: [{ message: b.message as string, props }],
    };
    this.posts.push(post);
    return this.postJson(post);
  }

  private patchPost(id: string, body: unknown): Json {
    const b = (body ?? {}) as Json;
    const post = this.postById(id);
    if (!post) throw new ApiError(404, 'app.post.get.app_error', 'Unable to get the post.');
    if (post.user_id !== this.bot.id)
      throw new ApiError(
        403,
        'api.context.permissions.app_error',
        'You do not have the appropriate permissions.',
      );
    this.checkContent(b.message ?? post.message, b.props ?? post.props);
    if (typeof b.message === 'string') post.message = b.message;
    if (b.props !== undefined) post.props = b.props as Json;
    post.edit_at = post.update_at = this.now();
    post.history.push({ message: post.message, props: post.props });
    return this.postJson(post);
  }

  private createEphemeral(body: unknown): Json {
    const b = (body ?? {}) as Json;
    const post = (b.post ?? {}) as Json;
    this.writableChannel(post.channel_id);
    if (typeof b.user_id !== 'string' || !this.users.has(b.user_id))
      throw new ApiError(400, 'api.context.invalid_body_param.app_error', 'Invalid user_id.');
    this.addEphemeral(b.user_id, post.channel_id as string, String(post.message ?? ''));
    return { id: newId(), channel_id: post.channel_id, message: post.message };
  }

  private openDialog(body: unknown): Json {
    const b = (body ?? {}) as Json;
    const triggerId = typeof b.trigger_id === 'string' ? b.trigger_id : '';
    const trigger = this.triggers.get(triggerId);
    if (!trigger || Date.now() - trigger.issued > MATTERMOST_LIMITS.triggerTtlMs)
      throw new ApiError(
        400,
        'interactive_message.decode_trigger_id.expired',
        'Trigger ID for interactive dialog is expired.',
      );
    if (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url))
      throw new ApiError(400, 'interactive_message.url.invalid', 'Invalid dialog URL.');
    const dialog = (b.dialog ?? {}) as Json;
    const title = typeof dialog.title === 'string' ? dialog.title : '';
    const elements = Array.isArray(dialog.elements) ? (dialog.elements as Json[]) : [];
    const bad =
      title === '' ||
      Array.from(title).length > MATTERMOST_LIMITS.dialogTitleRunes ||
      elements.length > MATTERMOST_LIMITS.dialogElements ||
      elements.some(
        (e) =>
          typeof e.name !== 'string' ||
          typeof e.display_name !== 'string' ||
          (e.type === 'textarea' && Number(e.max_length ?? 0) > MATTERMOST_LIMITS.textareaMaxLength),
      );
    if (bad) throw new ApiError(400, 'model.dialog.is_valid.app_error', 'Invalid dialog.');
    this.dialogs.push({
      triggerId,
      userId: trigger.userId,
      channelId: trigger.channelId,
      url: b.url,
      dialog,
    });
    return { status: 'OK' };
  }

  /** Whether an action id would be found by the server when clicked. */
  static clickableId(id: unknown): boolean {
    return typeof id === 'string' && ALNUM_ID.test(id);
  }
}
