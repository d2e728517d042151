// A fake Discord REST API (v10) on 127.0.0.1 that answers like Discord: `Authorization: Bot
// <token>`, JSON bodies, JSON errors `{message, code, errors?}` with Discord's codes, rate-limit
// buckets per route and a global one with `X-RateLimit-*` headers and 429s, message nonces
// (`enforce_nonce`), threads started from messages, DM channels, guild channels and member
// search, and the interaction webhooks (edit the original, follow-ups). It keeps what a person
// would see (messages with every version, threads, ephemerals, opened modals) so tests can
// assert it, and records every call. Interactions are sent by ./interactions.ts.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../read-body.js';
import { isEmptyMessage, messageViolation } from './limits.js';
import { FakeRateLimits } from './rate-limits.js';

type Json = Record<string, unknown>;

export interface FakeDiscordUser {
  id: string;
  username: string;
  bot?: boolean;
}

export interface FakeDiscordChannel {
  id: string;
  /** 0 text, 1 DM, 5 announcement, 11 public thread. */
  type: number;
  name?: string;
  guild_id?: string;
  /** Threads: the channel the thread lives in. DMs: the recipient. */
  parent_id?: string;
  recipient_id?: string;
}

export interface FakeDiscordMessage {
  id: string;
  channel_id: string;
  author: FakeDiscordUser;
  content: string;
  embeds: Json[];
  components: Json[];
  allowed_mentions?: Json;
  message_reference?: Json;
  nonce?: string;
  postedAt: number;
  /** Every version of the message, oldest first (the post, then each edit). */
  history: { content: string; embeds: Json[]; components: Json[]; allowed_mentions?: Json; via: string }[];
}

export interface FakeDiscordCall {
  method: string;
  /** The path below `/api/v10`. */
  path: string;
  /** The route with ids replaced, e.g. `POST /channels/:id/messages`. */
  route: string;
  body: Json;
  status: number;
  at: number;
}

/** An interaction the fake sent, kept for its token (webhook calls) and its source message. */
export interface FakeInteractionRecord {
  id: string;
  token: string;
  userId: string;
  messageId?: string;
  channelId?: string;
  issued: number;
}

const JSON_TYPE = 'application/json';
/** Discord's first second of 2015, the snowflake epoch. */
const DISCORD_EPOCH = 1420070400000n;

export class FakeDiscord {
  readonly token: string;
  readonly applicationId: string;
  readonly guildId: string;
  readonly bot: FakeDiscordUser;
  readonly calls: FakeDiscordCall[] = [];
  readonly messages: FakeDiscordMessage[] = [];
  readonly channels = new Map<string, FakeDiscordChannel>();
  readonly users = new Map<string, FakeDiscordUser>();
  readonly members = new Set<string>();
  readonly ephemerals: { userId: string; content: string; interactionId: string }[] = [];
  readonly interactions = new Map<string, FakeInteractionRecord>();
  readonly limits = new FakeRateLimits();
  /** `enforce_nonce` drops a repeated nonce for this long (Discord: "the past few minutes"). 0 = off. */
  nonceWindowMs = 5 * 60_000;
  /** Artificial delay per call (ms), to mimic a slow platform. */
  latencyMs = 0;
  private server?: Server;
  private port = 0;
  private sequence = 0n;
  private failures: { status: number; routes?: string[] }[] = [];
  private lostAnswers: { channels?: string[] }[] = [];
  private stalls: { matches: (route: string, body: Json, path: string) => boolean; act: boolean }[] = [];
  private readonly stalled: ServerResponse[] = [];

  constructor(opts: { token?: string } = {}) {
    this.token = opts.token ?? `fake.${Math.random().toString(36).slice(2)}.bot-token`;
    this.applicationId = this.snowflake();
    this.guildId = this.snowflake();
    this.bot = { id: this.applicationId, username: 'accessbot', bot: true };
    this.users.set(this.bot.id, this.bot);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** What the plugin takes as `api_url` (@discordjs/rest appends `/v10`). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  snowflake(): string {
    this.sequence += 1n;
    return String(((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (this.sequence & 0xfffn));
  }

  addChannel(name: string, type = 0): string {
    const id = this.snowflake();
    this.channels.set(id, { id, type, name, guild_id: this.guildId });
    return id;
  }

  /** A user; `member` (default) makes them a member of the fake's server. */
  addUser(username: string, opts: { member?: boolean } = {}): FakeDiscordUser {
    const user = { id: this.snowflake(), username };
    this.users.set(user.id, user);
    if (opts.member !== false) this.members.add(user.id);
    return user;
  }

  userNamed(username: string): FakeDiscordUser {
    const user = [...this.users.values()].find((u) => u.username === username);
    if (!user) throw new Error(`the fake has no user ${username}`);
    return user;
  }

  /** The DM channel between the bot and a user (opened on first use, as Discord does). */
  dmChannelOf(userId: string): string {
    const existing = [...this.channels.values()].find((c) => c.type === 1 && c.recipient_id === userId);
    if (existing) return existing.id;
    const id = this.snowflake();
    this.channels.set(id, { id, type: 1, recipient_id: userId });
    return id;
  }

  /** The next `count` calls (optionally only on `routes`) answer 502 without doing anything. */
  failNext(count: number, opts: { routes?: string[]; status?: number } = {}): void {
    for (let i = 0; i < count; i++)
      this.failures.push({ status: opts.status ?? 502, ...(opts.routes ? { routes: opts.routes } : {}) });
  }

  /** Faults set by failNext, loseNextAnswers and rateLimitNext that have not hit a call yet. */
  unusedFaults(): number {
    return this.failures.length + this.lostAnswers.length + this.limits.pendingForced();
  }

  /**
   * The next `count` calls that `match` are held open with no answer, as when the caller dies
   * mid-call; with `act` Discord did the work first (a post landed), without it nothing happened.
   */
  stallNext(
    count: number,
    matches: (route: string, body: Json, path: string) => boolean,
    opts: { act: boolean },
  ): void {
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

  /** The next `count` message posts (optionally only in `channels`) land, but their answer is a 502. */
  loseNextAnswers(count: number, opts: { channels?: string[] } = {}): void {
    for (let i = 0; i < count; i++) this.lostAnswers.push({ ...opts });
  }

  /** The next `count` calls (optionally on `routes`) answer 429: a route bucket's or the global limit. */
  rateLimitNext(count: number, seconds: number, opts: { global?: boolean; routes?: string[] } = {}): void {
    this.limits.force(count, {
      global: opts.global ?? false,
      retryAfterSeconds: seconds,
      ...(opts.routes ? { routes: opts.routes } : {}),
    });
  }

  callsTo(route: string, opts: { okOnly?: boolean } = {}): FakeDiscordCall[] {
    return this.calls.filter((c) => c.route === route && (!opts.okOnly || c.status < 300));
  }

  /** Messages directly in a channel (not in its threads). */
  channelMessages(channelId: string): FakeDiscordMessage[] {
    return this.messages.filter((m) => m.channel_id === channelId);
  }

  /** The messages of the thread started on `messageId` (its id is the message's id). */
  threadMessages(messageId: string): FakeDiscordMessage[] {
    return this.channels.get(messageId)?.type === 11 ? this.channelMessages(messageId) : [];
  }

  /** Replies under a message (DMs, where there are no threads). */
  repliesTo(messageId: string): FakeDiscordMessage[] {
    return this.messages.filter((m) => (m.message_reference as Json | undefined)?.message_id === messageId);
  }

  message(id: string): FakeDiscordMessage | undefined {
    return this.messages.find((m) => m.id === id);
  }

  /** Applies an edit to a message, as PATCH and interaction answers (type 7) do. */
  editMessage(message: FakeDiscordMessage, body: Json, via: string): string | undefined {
    const merged = {
      content: body.content !== undefined ? body.content : message.content,
      embeds: body.embeds !== undefined ? body.embeds : message.embeds,
      components: body.components !== undefined ? body.components : message.components,
    } as Json;
    const violation = messageViolation(merged);
    if (violation) return violation;
    message.content = String(merged.content ?? '');
    message.embeds = (merged.embeds as Json[]) ?? [];
    message.components = (merged.components as Json[]) ?? [];
    if (body.allowed_mentions !== undefined) message.allowed_mentions = body.allowed_mentions as Json;
    message.history.push({
      content: message.content,
      embeds: message.embeds,
      components: message.components,
      ...(message.allowed_mentions ? { allowed_mentions: message.allowed_mentions } : {}),
      via,
    });
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const match = /^\/api\/v10(\/.*)$/.exec(url.pathname);
    // @discordjs/rest encodes `@me` as `%40me`; Discord reads both.
    const path = (match?.[1] ?? url.pathname).split('/').map(decodeURIComponent).join('/');
    const { route, major } = routeOf(method, path);
    let body: Json = {};
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8')) as Json;
      } catch {
        return this.answer(res, { method, path, route, body, status: 400, at: Date.now() }, 400, {
          message: 'The request body contains invalid JSON.',
          code: 50109,
        });
      }
    }
    const call: FakeDiscordCall = { method, path, route, body, status: 200, at: Date.now() };
    this.calls.push(call);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (!match) return this.answer(res, call, 404, { message: '404: Not Found', code: 0 });

    const webhook = route.startsWith('POST /webhooks/') || route.startsWith('PATCH /webhooks/');
    if (!webhook && req.headers.authorization !== `Bot ${this.token}`)
      return this.answer(res, call, 401, { message: '401: Unauthorized', code: 0 });

    const rate = this.limits.take(route, major);
    if (rate.refused) {
      call.status = 429;
      res.writeHead(429, { 'content-type': JSON_TYPE, ...rate.headers });
      res.end(
        JSON.stringify({
          message: 'You are being rate limited.',
          retry_after: Number(rate.refused.retryAfterSeconds.toFixed(3)),
          global: rate.refused.global,
          ...(rate.refused.global ? {} : { code: 0 }),
        }),
      );
      return;
    }
    const failureAt = this.failures.findIndex((f) => !f.routes || f.routes.includes(route));
    if (failureAt >= 0) {
      const failure = this.failures.splice(failureAt, 1)[0]!;
      call.status = failure.status;
      res.writeHead(failure.status, { 'content-type': 'text/html', ...rate.headers });
      res.end('<html><body>502 Bad Gateway</body></html>');
      return;
    }
    const stallAt = this.stalls.findIndex((st) => st.matches(route, body, path));
    if (stallAt >= 0) {
      const stall = this.stalls.splice(stallAt, 1)[0]!;
      if (stall.act) this.dispatch(route, path, body, url.searchParams);
      this.stalled.push(res);
      return;
    }
    const [status, answer] = this.dispatch(route, path, body, url.searchParams);
    if (route === 'POST /channels/:id/messages' && status === 200) {
      const channelId = path.split('/')[2]!;
      const lostAt = this.lostAnswers.findIndex((l) => !l.channels || l.channels.includes(channelId));
      if (lostAt >= 0) {
        this.lostAnswers.splice(lostAt, 1);
        call.status = 502;
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body>upstream timed out</body></html>');
        return;
      }
    }
    return this.answer(res, call, status, answer, rate.headers);
  }

  private answer(
    res: ServerResponse,
    call: FakeDiscordCall,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    call.status = status;
    if (status === 204) {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    res.writeHead(status, { 'content-type': JSON_TYPE, ...headers });
    res.end(JSON.stringify(body));
  }

  private dispatch(route: string, path: string, body: Json, query: URLSearchParams): [number, unknown] {
    const parts = path.split('/').slice(1);
    switch (route) {
      case 'GET /users/@me':
        return [200, this.userJson(this.bot)];
      case 'POST /users/@me/channels': {
        const recipient = String(body.recipient_id ?? '');
        if (!this.users.has(recipient)) return error(400, 50033, 'Invalid Recipient(s)');
        const id = this.dmChannelOf(recipient);
        return [200, { id, type: 1, recipients: [this.userJson(this.users.get(recipient)!)] }];
      }
      case 'GET /channels/:id': {
        const channel = this.channels.get(parts[1]!);
        return channel ? [200, channel] : error(404, 10003, 'Unknown Channel');
      }
      case 'GET /guilds/:id/channels':
        if (parts[1] !== this.guildId) return error(404, 10004, 'Unknown Guild');
        return [200, [...this.channels.values()].filter((c) => c.guild_id === this.guildId && c.type !== 11)];
      case 'GET /guilds/:id/members/search': {
        if (parts[1] !== this.guildId) return error(404, 10004, 'Unknown Guild');
        const q = (query.get('query') ?? '').toLowerCase();
        const limit = Math.min(Number(query.get('limit') ?? 1) || 1, 1000);
        if (!q) return error(400, 50035, 'Invalid Form Body');
        const found = [...this.members]
          .map((id) => this.users.get(id)!)
          .filter((u) => u.username.toLowerCase().startsWith(q))
          .slice(0, limit);
        return [
          200,
          found.map((u) => ({ user: this.userJson(u), roles: [], joined_at: new Date().toISOString() })),
        ];
      }
      case 'GET /channels/:id/messages': {
        const channelId = parts[1]!;
        if (!this.channels.has(channelId)) return error(404, 10003, 'Unknown Channel');
        const limit = Math.min(Math.max(Number(query.get('limit') ?? 50) || 50, 1), 100);
        const newestFirst = this.channelMessages(channelId).slice().reverse().slice(0, limit);
        return [200, newestFirst.map((m) => this.messageJson(m))];
      }
      case 'POST /channels/:id/messages':
        return this.postMessage(parts[1]!, body);
      case 'PATCH /channels/:id/messages/:id': {
        const message = this.messages.find((m) => m.channel_id === parts[1] && m.id === parts[3]);
        if (!message)
          return this.channels.has(parts[1]!)
            ? error(404, 10008, 'Unknown Message')
            : error(404, 10003, 'Unknown Channel');
        if (message.author.id !== this.bot.id)
          return error(403, 50005, 'Cannot edit a message authored by another user');
        const violation = this.editMessage(message, body, 'rest');
        return violation ? formError(violation) : [200, this.messageJson(message)];
      }
      case 'POST /channels/:id/messages/:id/threads': {
        const message = this.messages.find((m) => m.channel_id === parts[1] && m.id === parts[3]);
        if (!message) return error(404, 10008, 'Unknown Message');
        const parent = this.channels.get(parts[1]!);
        if (parent?.type === 1) return error(400, 50024, 'Cannot execute action on this channel type');
        if (this.channels.has(message.id))
          return error(400, 160004, 'A thread has already been created for this message');
        const name = String(body.name ?? '');
        if (name.length === 0 || name.length > 100) return formError('name: bad length');
        const thread: FakeDiscordChannel = {
          id: message.id,
          type: 11,
          name,
          guild_id: this.guildId,
          parent_id: parts[1]!,
        };
        this.channels.set(thread.id, thread);
        return [201, thread];
      }
      case 'POST /webhooks/:id/:token':
        return this.followUp(parts[1]!, parts[2]!, body);
      case 'PATCH /webhooks/:id/:token/messages/@original':
        return this.editOriginal(parts[1]!, parts[2]!, body);
      default:
        return error(404, 0, '404: Not Found');
    }
  }

  private postMessage(channelId: string, body: Json): [number, unknown] {
    const channel = this.channels.get(channelId);
    if (!channel) return error(404, 10003, 'Unknown Channel');
    if (isEmptyMessage(body)) return error(400, 50006, 'Cannot send an empty message');
    const violation = messageViolation(body);
    if (violation) return formError(violation);
    const nonce = typeof body.nonce === 'string' ? body.nonce : undefined;
    if (nonce && body.enforce_nonce === true && this.nonceWindowMs > 0) {
      const since = Date.now() - this.nonceWindowMs;
      const earlier = this.messages.find(
        (m) =>
          m.nonce === nonce &&
          m.channel_id === channelId &&
          m.author.id === this.bot.id &&
          m.postedAt >= since,
      );
      if (earlier) return [200, this.messageJson(earlier)];
    }
    const reference = body.message_reference as Json | undefined;
    if (
      reference &&
      !this.messages.some((m) => m.id === reference.message_id) &&
      reference.fail_if_not_exists !== false
    )
      return formError('message_reference: Unknown message');
    const message: FakeDiscordMessage = {
      id: this.snowflake(),
      channel_id: channelId,
      author: this.bot,
      content: String(body.content ?? ''),
      embeds: (body.embeds as Json[]) ?? [],
      components: (body.components as Json[]) ?? [],
      ...(body.allowed_mentions ? { allowed_mentions: body.allowed_mentions as Json } : {}),
      ...(reference ? { message_reference: reference } : {}),
      ...(nonce ? { nonce } : {}),
      postedAt: Date.now(),
      history: [],
    };
    message.history.push({
      content: message.content,
      embeds: message.embeds,
      components: message.components,
      ...(message.allowed_mentions ? { allowed_mentions: message.allowed_mentions } : {}),
      via: 'rest',
    });
    this.messages.push(message);
    return [200, { ...this.messageJson(message), ...(nonce ? { nonce } : {}) }];
  }

  /** The interaction behind a webhook token, if the token is ours and younger than 15 minutes. */
  private interactionOf(appId: string, token: string): FakeInteractionRecord | undefined {
    if (appId !== this.applicationId) return undefined;
    const record = [...this.interactions.values()].find((i) => i.token === token);
    return record && Date.now() - record.issued < 15 * 60_000 ? record : undefined;
  }

  private followUp(appId: string, token: string, body: Json): [number, unknown] {
    const record = this.interactionOf(appId, token);
    if (!record) return error(404, 10015, 'Unknown Webhook');
    const violation = messageViolation(body);
    if (violation) return formError(violation);
    if ((Number(body.flags ?? 0) & 64) !== 0) {
      this.ephemerals.push({
        userId: record.userId,
        content: String(body.content ?? ''),
        interactionId: record.id,
      });
      return [200, { id: this.snowflake(), content: body.content, flags: 64 }];
    }
    return this.postMessage(record.channelId ?? '', body);
  }

  private editOriginal(appId: string, token: string, body: Json): [number, unknown] {
    const record = this.interactionOf(appId, token);
    if (!record) return error(404, 10015, 'Unknown Webhook');
    const message = record.messageId ? this.message(record.messageId) : undefined;
    if (!message) return error(404, 10008, 'Unknown Message');
    const violation = this.editMessage(message, body, 'interaction');
    return violation ? formError(violation) : [200, this.messageJson(message)];
  }

  userJson(user: FakeDiscordUser): Json {
    return {
      id: user.id,
      username: user.username,
      global_name: user.username,
      discriminator: '0',
      avatar: null,
      ...(user.bot ? { bot: true } : {}),
    };
  }

  messageJson(m: FakeDiscordMessage): Json {
    return {
      id: m.id,
      type: m.message_reference ? 19 : 0,
      channel_id: m.channel_id,
      author: this.userJson(m.author),
      content: m.content,
      embeds: m.embeds,
      components: m.components,
      attachments: [],
      mentions: [],
      mention_roles: [],
      mention_everyone: false,
      pinned: false,
      tts: false,
      timestamp: new Date(m.postedAt).toISOString(),
      edited_timestamp: m.history.length > 1 ? new Date().toISOString() : null,
      flags: 0,
      ...(m.message_reference
        ? { message_reference: { channel_id: m.channel_id, ...m.message_reference } }
        : {}),
    };
  }
}

function error(status: number, code: number, message: string): [number, unknown] {
  return [status, { message, code }];
}

/** 50035 with Discord's nested `errors` shape for one path. */
function formError(violation: string): [number, unknown] {
  const [path, why] = violation.split(': ');
  const errors: Json = {};
  let node = errors;
  const keys = (path ?? 'body').split('.');
  for (const [i, key] of keys.entries()) {
    if (i === keys.length - 1)
      node[key] = { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: why ?? violation }] };
    else node = node[key] = {} as Json;
  }
  return [400, { message: 'Invalid Form Body', code: 50035, errors }];
}

/** `POST /channels/123/messages` → route `POST /channels/:id/messages`, major `123`. */
export function routeOf(method: string, path: string): { route: string; major: string } {
  const parts = path.split('/').slice(1);
  const major = ['channels', 'guilds', 'webhooks'].includes(parts[0] ?? '') ? (parts[1] ?? '') : 'global';
  const template = parts
    .map((p, i) => {
      if (/^\d{5,}$/.test(p)) return ':id';
      if (parts[0] === 'webhooks' && i === 2) return ':token';
      return p;
    })
    .join('/');
  return { route: `${method} /${template}`, major };
}
