// A fake Slack Web API on 127.0.0.1 that answers like Slack: every method is
// `POST /api/<method>`, form-encoded (or JSON), `Authorization: Bearer <token>`; failures are
// HTTP 200 with `{ ok: false, error }`; rate limits are HTTP 429 with Retry-After. It keeps
// channels, users, messages, threads, ephemerals and opened modals so tests can assert what a
// person would see, and records every call. Outage modes make it fail on purpose.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { readBody as readRawBody } from '../read-body.js';
import { blockViolation, SLACK_LIMITS } from './limits.js';

type Json = Record<string, unknown>;

export interface FakeSlackUser {
  id: string;
  name: string;
  email?: string;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Json[];
  threadTs?: string;
  /** When the fake received the post (ms since epoch). */
  postedAt: number;
  /** Every version of the message, oldest first (the post, then each chat.update). */
  history: { text: string; blocks: Json[] }[];
  /** Message metadata as posted (`event_type`, `event_payload`). */
  metadata?: Json;
}

export interface FakeSlackCall {
  method: string;
  params: Json;
  /** HTTP status the fake answered with. */
  status: number;
  /** `error` of an `ok:false` answer, if any. */
  error?: string;
  at: number;
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text: string;
}

export interface OpenedView {
  id: string;
  triggerId: string;
  user: string;
  view: Json;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export class FakeSlack {
  readonly botToken: string;
  readonly appToken: string;
  readonly calls: FakeSlackCall[] = [];
  readonly messages: FakeSlackMessage[] = [];
  readonly ephemerals: FakeEphemeral[] = [];
  readonly views: OpenedView[] = [];
  /** Channel name → channel ID. */
  readonly channels = new Map<string, string>();
  readonly users = new Map<string, FakeSlackUser>();
  /** Trigger IDs handed out with interactions; views.open accepts each once, briefly. */
  private readonly triggers = new Map<string, { user: string; issued: number }>();
  private server?: Server;
  private port = 0;
  private tsCounter = 0;
  private failures: { status: number; retryAfterSeconds?: number; methods?: string[] }[] = [];
  /** Calls whose work is done but whose answer is lost (a 500 instead of the reply). */
  private lostAnswers: { methods?: string[]; channels?: string[] }[] = [];
  /** Calls to hold without an answer (a host killed mid-call never hears back). */
  private stalls: { matches: (method: string, params: Json) => boolean; act: boolean }[] = [];
  private readonly stalled: ServerResponse[] = [];
  /** Artificial delay per call (ms), to mimic a slow platform. */
  latencyMs = 0;
  /** Hooks for the socket-mode fake: the URL apps.connections.open hands out, and its upgrades. */
  socketUrl?: () => string;
  onUpgrade?: (req: IncomingMessage, socket: Duplex) => void;

  constructor(opts: { botToken?: string; appToken?: string } = {}) {
    this.botToken = opts.botToken ?? `xoxb-test-${randomUUID()}`;
    this.appToken = opts.appToken ?? `xapp-test-${randomUUID()}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      if (this.onUpgrade) this.onUpgrade(req, socket);
      else socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
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

  /** Base URL the WebClient takes as `slackApiUrl`. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  addChannel(name: string, id = `C${randomUUID().replaceAll('-', '').slice(0, 10).toUpperCase()}`): string {
    this.channels.set(name, id);
    return id;
  }

  addUser(user: FakeSlackUser): FakeSlackUser {
    this.users.set(user.id, user);
    return user;
  }

  /** The next `count` calls (optionally only to `methods`) answer HTTP 500. */
  failNext(count: number, opts: { methods?: string[] } = {}): void {
    for (let i = 0; i < count; i++) this.failures.push({ status: 500, ...opts });
  }

  /**
   * The next `count` calls (optionally only to `methods`) do their work (a post lands in the
   * channel) but answer HTTP 500, as when Slack's answer is lost on the way back.
   */
  loseNextAnswers(count: number, opts: { methods?: string[]; channels?: string[] } = {}): void {
    for (let i = 0; i < count; i++) this.lostAnswers.push({ ...opts });
  }

  /**
   * The next `count` calls that `matches` are held open and never answered. With `act`, Slack
   * did the work (the message exists) before the answer went missing; without, it never did.
   */
  stallNext(count: number, matches: (method: string, params: Json) => boolean, opts: { act: boolean }): void {
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

  /** The next `count` calls answer HTTP 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(count: number, retryAfterSeconds: number, opts: { methods?: string[] } = {}): void {
    for (let i = 0; i < count; i++) this.failures.push({ status: 429, retryAfterSeconds, ...opts });
  }

  /** Faults set by failNext, rateLimitNext and loseNextAnswers that have not hit a call yet. */
  unusedFaults(): number {
    return this.failures.length + this.lostAnswers.length;
  }

  /** Issues a trigger_id the way Slack attaches one to a click (valid for 3 seconds in Slack). */
  issueTrigger(user: string): string {
    const id = `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${randomUUID().slice(0, 8)}`;
    this.triggers.set(id, { user, issued: Date.now() });
    return id;
  }

  callsTo(method: string, opts: { okOnly?: boolean } = {}): FakeSlackCall[] {
    return this.calls.filter((c) => c.method === method && (!opts.okOnly || (c.status === 200 && !c.error)));
  }

  /** Root messages (not thread replies) in a channel ID. */
  rootMessages(channel?: string): FakeSlackMessage[] {
    return this.messages.filter((m) => !m.threadTs && (channel === undefined || m.channel === channel));
  }

  threadReplies(channel: string, ts: string): FakeSlackMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.threadTs === ts);
  }

  dmChannelOf(userId: string): string {
    return `D${userId.slice(1)}`;
  }

  private nextTs(): string {
    this.tsCounter += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsCounter).padStart(6, '0')}`;
  }

  private resolveChannel(raw: unknown): string | undefined {
    if (typeof raw !== 'string' || raw === '') return undefined;
    if (/^[UW][A-Z0-9]+$/.test(raw)) return this.users.has(raw) ? this.dmChannelOf(raw) : undefined;
    if (/^D[A-Z0-9]+$/.test(raw)) return this.users.has(`U${raw.slice(1)}`) ? raw : undefined;
    if (/^[CG][A-Z0-9]+$/.test(raw)) return [...this.channels.values()].includes(raw) ? raw : undefined;
    return this.channels.get(raw.replace(/^#/, ''));
  }

  private async readBody(req: IncomingMessage): Promise<Json> {
    const raw = (await readRawBody(req)).toString('utf8');
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('application/json')) return raw ? (JSON.parse(raw) as Json) : {};
    const params: Json = {};
    for (const [k, v] of new URLSearchParams(raw)) params[k] = v;
    return params;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const match = /^\/api\/([a-zA-Z.]+)$/.exec(url.pathname);
    if (req.method !== 'POST' || !match) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const method = match[1]!;
    const params = await this.readBody(req);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const call: FakeSlackCall = { method, params, status: 200, at: Date.now() };
    this.calls.push(call);

    const failureIndex = this.failures.findIndex((f) => !f.methods || f.methods.includes(method));
    if (failureIndex >= 0) {
      const failure = this.failures.splice(failureIndex, 1)[0]!;
      call.status = failure.status;
      if (failure.status === 429) {
        call.error = 'ratelimited';
        res.writeHead(429, {
          'content-type': JSON_TYPE,
          'retry-after': String(failure.retryAfterSeconds ?? 1),
        });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      } else {
        res.writeHead(failure.status, { 'content-type': 'text/html' });
        res.end('<html><body>Slack is having trouble</body></html>');
      }
      return;
    }

    const bearer =
      /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? (params.token as string | undefined);
    const reply = (body: Json) => {
      if (body.ok === false) call.error = String(body.error);
      res.writeHead(200, { 'content-type': JSON_TYPE });
      res.end(JSON.stringify(body));
    };
    if (!bearer) return reply({ ok: false, error: 'not_authed' });
    const expected = method === 'apps.connections.open' ? this.appToken : this.botToken;
    if (bearer !== expected) return reply({ ok: false, error: 'invalid_auth' });
    const stall = this.stalls.findIndex((s) => s.matches(method, params));
    if (stall >= 0) {
      const { act } = this.stalls.splice(stall, 1)[0]!;
      if (act) this.dispatch(method, params);
      call.status = 0;
      this.stalled.push(res);
      return;
    }
    const body = this.dispatch(method, params);
    const channel = this.resolveChannel(params.channel);
    const lost = this.lostAnswers.findIndex(
      (f) =>
        (!f.methods || f.methods.includes(method)) &&
        (!f.channels || (channel !== undefined && f.channels.includes(channel))),
    );
    if (lost >= 0) {
      this.lostAnswers.splice(lost, 1);
      call.status = 500;
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<html><body>upstream timed out</body></html>');
      return;
    }
    reply(body);
  }

  private dispatch(method: string, p: Json): Json {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake',
          user: 'accessbot',
          team_id: 'T0001',
          user_id: 'UBOT',
          bot_id: 'BBOT',
        };
      case 'chat.postMessage':
        return this.postMessage(p);
      case 'chat.update':
        return this.update(p);
      case 'conversations.history':
        return this.conversationHistory(p);
      case 'conversations.list':
        return this.conversationList(p);
      case 'conversations.replies':
        return this.conversationReplies(p);
      case 'conversations.open': {
        // Opening the DM with one user (what the plugin needs): answers its channel ID.
        const user = String(p.users ?? '');
        return this.users.has(user)
          ? { ok: true, channel: { id: this.dmChannelOf(user) } }
          : { ok: false, error: 'user_not_found' };
      }
      case 'chat.postEphemeral': {
        const channel = this.resolveChannel(p.channel);
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (typeof p.user !== 'string' || !this.users.has(p.user))
          return { ok: false, error: 'user_not_found' };
        this.ephemerals.push({ channel, user: p.user, text: String(p.text ?? '') });
        return { ok: true, message_ts: this.nextTs() };
      }
      case 'users.lookupByEmail': {
        const email = String(p.email ?? '').toLowerCase();
        const user = [...this.users.values()].find((u) => u.email?.toLowerCase() === email);
        return user ? { ok: true, user: this.userJson(user) } : { ok: false, error: 'users_not_found' };
      }
      case 'users.info': {
        const user = this.users.get(String(p.user ?? ''));
        return user ? { ok: true, user: this.userJson(user) } : { ok: false, error: 'user_not_found' };
      }
      case 'views.open':
        return this.openView(p);
      case 'apps.connections.open':
        return this.socketUrl
          ? { ok: true, url: this.socketUrl() }
          : { ok: false, error: 'socket_mode_not_enabled' };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private userJson(user: FakeSlackUser): Json {
    return {
      id: user.id,
      name: user.name,
      real_name: user.name,
      is_bot: false,
      profile: {
        real_name: user.name,
        display_name: user.name,
        ...(user.email ? { email: user.email } : {}),
      },
    };
  }

  private parseBlocks(p: Json): { blocks: Json[]; error?: string } {
    if (p.blocks === undefined) return { blocks: [] };
    let blocks: unknown;
    try {
      blocks = typeof p.blocks === 'string' ? JSON.parse(p.blocks) : p.blocks;
    } catch {
      return { blocks: [], error: 'invalid_blocks_format' };
    }
    if (blockViolation(blocks)) return { blocks: [], error: 'invalid_blocks' };
    return { blocks: blocks as Json[] };
  }

  private postMessage(p: Json): Json {
    const channel = this.resolveChannel(p.channel);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const text = String(p.text ?? '');
    if (text.length > SLACK_LIMITS.messageText) return { ok: false, error: 'msg_too_long' };
    const { blocks, error } = this.parseBlocks(p);
    if (error) return { ok: false, error };
    if (!text && blocks.length === 0) return { ok: false, error: 'no_text' };
    const threadTs = typeof p.thread_ts === 'string' ? p.thread_ts : undefined;
    if (threadTs && !this.messages.some((m) => m.channel === channel && m.ts === threadTs)) {
      return { ok: false, error: 'thread_not_found' };
    }
    let metadata: Json | undefined;
    if (p.metadata !== undefined) {
      try {
        metadata = (typeof p.metadata === 'string' ? JSON.parse(p.metadata) : p.metadata) as Json;
      } catch {
        return { ok: false, error: 'invalid_metadata_format' };
      }
      if (typeof metadata.event_type !== 'string' || typeof metadata.event_payload !== 'object')
        return { ok: false, error: 'invalid_metadata_schema' };
    }
    const ts = this.nextTs();
    this.messages.push({
      channel,
      ts,
      text,
      blocks,
      ...(threadTs ? { threadTs } : {}),
      postedAt: Date.now(),
      history: [{ text, blocks }],
      ...(metadata ? { metadata } : {}),
    });
    return {
      ok: true,
      channel,
      ts,
      message: { type: 'message', text, blocks, ts, ...(threadTs ? { thread_ts: threadTs } : {}) },
    };
  }

  /** Top-level messages of a channel, newest first; metadata only with include_all_metadata. */
  private conversationHistory(p: Json): Json {
    // Like Slack, only a channel ID is accepted here (no `#name`).
    const channel =
      typeof p.channel === 'string' && /^[CGD][A-Z0-9]+$/.test(p.channel)
        ? this.resolveChannel(p.channel)
        : undefined;
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const withMeta = p.include_all_metadata === true || p.include_all_metadata === 'true';
    const limit = Math.min(Number(p.limit ?? 100) || 100, 999);
    const messages = this.messages
      .filter((m) => m.channel === channel && !m.threadTs)
      .reverse()
      .slice(0, limit)
      .map((m) => ({
        type: 'message',
        ts: m.ts,
        text: m.text,
        ...(withMeta && m.metadata ? { metadata: m.metadata } : {}),
      }));
    return { ok: true, messages, has_more: false };
  }

  /** Channels the app can see, paged by cursor like Slack (`limit` at most 1000). */
  private conversationList(p: Json): Json {
    const limit = Math.min(Math.max(Number(p.limit ?? 100) || 100, 1), 1000);
    const offset = Number(p.cursor ? Buffer.from(String(p.cursor), 'base64').toString('utf8') : 0) || 0;
    const all = [...this.channels.entries()].map(([name, id]) => ({
      id,
      name,
      is_channel: id.startsWith('C'),
      is_private: id.startsWith('G'),
      is_archived: false,
    }));
    const page = all.slice(offset, offset + limit);
    const next = offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64') : '';
    return { ok: true, channels: page, response_metadata: { next_cursor: next } };
  }

  /** A thread: its parent first, then the replies oldest first; metadata only with include_all_metadata. */
  private conversationReplies(p: Json): Json {
    const channel =
      typeof p.channel === 'string' && /^[CGD][A-Z0-9]+$/.test(p.channel)
        ? this.resolveChannel(p.channel)
        : undefined;
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const parent = this.messages.find((m) => m.channel === channel && m.ts === p.ts && !m.threadTs);
    if (!parent) return { ok: false, error: 'thread_not_found' };
    const withMeta = p.include_all_metadata === true || p.include_all_metadata === 'true';
    const limit = Math.min(Number(p.limit ?? 1000) || 1000, 1000);
    const messages = [
      parent,
      ...this.messages.filter((m) => m.channel === channel && m.threadTs === parent.ts),
    ]
      .slice(0, limit)
      .map((m) => ({
        type: 'message',
        ts: m.ts,
        text: m.text,
        ...(m.threadTs ? { thread_ts: m.threadTs } : { thread_ts: m.ts }),
        ...(withMeta && m.metadata ? { metadata: m.metadata } : {}),
      }));
    return { ok: true, messages, has_more: false };
  }

  private update(p: Json): Json {
    if (typeof p.channel !== 'string' || !/^[CGD][A-Z0-9]+$/.test(p.channel))
      return { ok: false, error: 'channel_not_found' };
    const message = this.messages.find((m) => m.channel === p.channel && m.ts === p.ts);
    if (!message) return { ok: false, error: 'message_not_found' };
    const text = String(p.text ?? '');
    if (text.length > SLACK_LIMITS.messageText) return { ok: false, error: 'msg_too_long' };
    const { blocks, error } = this.parseBlocks(p);
    if (error) return { ok: false, error };
    message.text = text;
    message.blocks = blocks;
    message.history.push({ text, blocks });
    return { ok: true, channel: message.channel, ts: message.ts, text };
  }

  private openView(p: Json): Json {
    const triggerId = String(p.trigger_id ?? '');
    const trigger = this.triggers.get(triggerId);
    if (!trigger) return { ok: false, error: 'invalid_trigger_id' };
    this.triggers.delete(triggerId);
    let view: Json;
    try {
      view = (typeof p.view === 'string' ? JSON.parse(p.view) : p.view) as Json;
    } catch {
      return { ok: false, error: 'invalid_arguments' };
    }
    if (view.type !== 'modal') return { ok: false, error: 'invalid_arguments' };
    if (String(view.private_metadata ?? '').length > SLACK_LIMITS.privateMetadata)
      return { ok: false, error: 'invalid_arguments' };
    if (textOf(view.title).length > SLACK_LIMITS.modalTitle) return { ok: false, error: 'invalid_arguments' };
    if (blockViolation(view.blocks)) return { ok: false, error: 'invalid_blocks' };
    const id = `V${randomUUID().replaceAll('-', '').slice(0, 10).toUpperCase()}`;
    this.views.push({ id, triggerId, user: trigger.user, view });
    return { ok: true, view: { id, ...view, state: { values: {} }, hash: randomUUID() } };
  }
}

function textOf(obj: unknown): string {
  return typeof obj === 'object' && obj !== null && typeof (obj as Json).text === 'string'
    ? ((obj as Json).text as string)
    : '';
}
