// A fake Microsoft Teams on 127.0.0.1: the Bot Connector service (`/v3/conversations/…`,
// `/v3/teams/…`) as the Agents SDK calls it, an Entra authority (OpenID configuration and JWKS)
// whose key signs the inbound tokens, and the Entra auth sidecar that hands the bot its outbound
// token. It keeps what people would see: each message's current card, thread replies, 1:1 chats.
// Faults (5xx, 429 with Retry-After) are aimed at the write calls only.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newSigningKey, type SigningKey, signJwt } from './tokens.js';

export interface FakeTeamsUser {
  id: string;
  aadObjectId: string;
  name: string;
  email: string;
}

export interface FakeTeamsMessage {
  id: string;
  conversationId: string;
  /** The root message this one replies to, in a channel thread or a chat. */
  replyTo?: string;
  text?: string;
  attachments: { contentType: string; content: Record<string, unknown> }[];
  edits: number;
  /** When it was posted and last edited (Date.now()), for benches. */
  postedAt: number;
  editedAt?: number;
}

interface Channel {
  id: string;
  name?: string;
}

type Fault = { kind: 'fail' } | { kind: 'rate'; seconds: number } | { kind: 'lose' };

export class FakeTeams {
  readonly tenantId = randomUUID();
  readonly appId = randomUUID();
  readonly key: SigningKey = newSigningKey();
  /** A key the authority never published (forged tokens). */
  readonly wrongKey: SigningKey = newSigningKey();
  readonly botToken = `fake-teams-bot-token-${randomUUID()}`;
  /** The token the sidecar hands out for Microsoft Graph's scope. */
  readonly graphToken = `fake-graph-token-${randomUUID()}`;
  readonly team = { id: '19:ops-team@thread.tacv2', name: 'Ops', aadGroupId: randomUUID() };
  readonly channels: Channel[] = [
    { id: this.team.id },
    { id: '19:approvals@thread.tacv2', name: 'approvals' },
    { id: '19:security@thread.tacv2', name: 'security' },
  ];
  readonly users: FakeTeamsUser[] = [];
  readonly messages: FakeTeamsMessage[] = [];
  /** 1:1 chats by conversation id → the user's id. */
  readonly chats = new Map<string, string>();
  readonly writes: { method: string; path: string }[] = [];
  private faults: Fault[] = [];
  private server?: Server;
  baseUrl = '';

  get serviceUrl(): string {
    return `${this.baseUrl}/`;
  }
  get authorityUrl(): string {
    return this.baseUrl;
  }
  get graphUrl(): string {
    return `${this.baseUrl}/graph/v1.0`;
  }
  get issuer(): string {
    return `${this.baseUrl}/${this.tenantId}/v2.0`;
  }

  /** Users outside the Ops team (reachable only once they install the app for themselves). */
  private readonly outsiders = new Set<string>();

  addUser(name: string, email: string, opts: { inTeam?: boolean } = {}): FakeTeamsUser {
    const user = { id: `29:${name}-${randomUUID().slice(0, 8)}`, aadObjectId: randomUUID(), name, email };
    this.users.push(user);
    if (opts.inTeam === false) this.outsiders.add(user.id);
    return user;
  }

  /** The user adds the app for themselves: Teams opens the bot's 1:1 chat with them. */
  openPersonalChat(user: FakeTeamsUser): string {
    const id = `a:chat-${user.id.slice(3)}`;
    this.chats.set(id, user.id);
    return id;
  }

  userByName(name: string): FakeTeamsUser {
    const user = this.users.find((u) => u.name === name);
    if (!user) throw new Error(`no Teams user ${name}`);
    return user;
  }

  failNext(n: number): void {
    for (let i = 0; i < n; i++) this.faults.push({ kind: 'fail' });
  }
  rateLimitNext(n: number, seconds: number): void {
    for (let i = 0; i < n; i++) this.faults.push({ kind: 'rate', seconds });
  }
  loseNextAnswers(n: number): void {
    for (let i = 0; i < n; i++) this.faults.push({ kind: 'lose' });
  }
  unusedFaults(): number {
    return this.faults.length;
  }

  /** A token the Bot Framework would send with an activity, with `claims` overriding the defaults. */
  inboundToken(claims: Record<string, unknown> = {}, key: SigningKey = this.key): string {
    const now = Math.floor(Date.now() / 1000);
    return signJwt(key, {
      iss: this.issuer,
      aud: this.appId,
      tid: this.tenantId,
      serviceurl: this.serviceUrl,
      iat: now - 10,
      nbf: now - 10,
      exp: now + 3600,
      ...claims,
    });
  }

  roots(): FakeTeamsMessage[] {
    return this.messages.filter((m) => !m.replyTo);
  }
  repliesTo(root: FakeTeamsMessage): FakeTeamsMessage[] {
    return this.messages.filter((m) => m.replyTo === root.id);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ error: { code: 'ServiceError', message: String(err) } }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private memberOf(conversationId: string, who: string): FakeTeamsUser | undefined {
    const wanted = who.toLowerCase();
    const matches = (u: FakeTeamsUser) =>
      u.id.toLowerCase() === wanted || u.aadObjectId === wanted || u.email.toLowerCase() === wanted;
    const chatUser = this.chats.get(conversationId);
    if (chatUser) return this.users.find((u) => u.id === chatUser && matches(u));
    const base = conversationId.split(';')[0]!;
    if (this.channels.some((c) => c.id === base))
      return this.users.find((u) => matches(u) && !this.outsiders.has(u.id));
    return undefined;
  }

  private knownConversation(conversationId: string): boolean {
    const base = conversationId.split(';')[0]!;
    return this.chats.has(base) || this.channels.some((c) => c.id === base);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    const error = (status: number, code: string, message: string) =>
      send(status, { error: { code, message } });

    // Entra authority and sidecar.
    if (path === `/${this.tenantId}/v2.0/.well-known/openid-configuration`) {
      return send(200, {
        issuer: this.issuer,
        jwks_uri: `${this.baseUrl}/${this.tenantId}/discovery/v2.0/keys`,
      });
    }
    if (path === `/${this.tenantId}/discovery/v2.0/keys`) return send(200, { keys: [this.key.publicJwk] });
    if (path === '/healthz') return send(200, { status: 'Healthy' });
    if (path.startsWith('/AuthorizationHeaderUnauthenticated/')) {
      const scopes = url.searchParams.get('optionsOverride.Scopes') ?? '';
      const token = scopes.includes('graph.microsoft.com') ? this.graphToken : this.botToken;
      return send(200, { authorizationHeader: `Bearer ${token}` });
    }

    // Microsoft Graph: reading channel messages, thread replies and chat messages (newest first).
    if (path.startsWith('/graph/v1.0/')) {
      if (req.headers.authorization !== `Bearer ${this.graphToken}`) {
        return error(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
      }
      const asGraph = (m: FakeTeamsMessage) => ({
        id: m.id,
        messageType: 'message',
        body: { contentType: 'html', content: m.text ?? '' },
        attachments: m.attachments.map((a, i) => ({
          id: String(i),
          contentType: a.contentType,
          content: JSON.stringify(a.content),
        })),
      });
      const newestFirst = (list: FakeTeamsMessage[]) => ({
        value: [...list]
          .reverse()
          .slice(0, Number(url.searchParams.get('$top') ?? 20))
          .map(asGraph),
      });
      const channel =
        /^\/graph\/v1\.0\/teams\/([^/]+)\/channels\/([^/]+)\/messages(?:\/([^/]+)\/replies)?$/.exec(path);
      if (channel && method === 'GET') {
        if (decodeURIComponent(channel[1]!) !== this.team.aadGroupId)
          return error(404, 'NotFound', 'team not found');
        const channelId = decodeURIComponent(channel[2]!);
        const rootId = channel[3] ? decodeURIComponent(channel[3]) : undefined;
        return send(
          200,
          newestFirst(
            this.messages.filter(
              (m) => m.conversationId === channelId && (rootId ? m.replyTo === rootId : !m.replyTo),
            ),
          ),
        );
      }
      const chat = /^\/graph\/v1\.0\/chats\/([^/]+)\/messages$/.exec(path);
      if (chat && method === 'GET') {
        const graphChat = /^19:([^_]+)_(.+)@unq\.gbl\.spaces$/.exec(decodeURIComponent(chat[1]!));
        const user = this.users.find((u) => u.aadObjectId === graphChat?.[1]);
        const conversationId = [...this.chats].find(([, userId]) => userId === user?.id)?.[0];
        if (!conversationId || graphChat?.[2] !== this.appId) return error(404, 'NotFound', 'chat not found');
        return send(200, newestFirst(this.messages.filter((m) => m.conversationId === conversationId)));
      }
      return error(404, 'NotFound', `no route ${method} ${path}`);
    }

    // Bot Connector.
    if (!path.startsWith('/v3/')) return error(404, 'NotFound', 'no such path');
    if (req.headers.authorization !== `Bearer ${this.botToken}`) {
      return error(401, 'Unauthorized', 'Authorization has been denied for this request.');
    }
    const team = /^\/v3\/teams\/([^/]+)(\/conversations)?$/.exec(path);
    if (team && method === 'GET') {
      if (decodeURIComponent(team[1]!) !== this.team.id) return error(404, 'NotFound', 'team not found');
      if (!team[2]) return send(200, this.team);
      return send(200, {
        conversations: this.channels.map((c) => ({ id: c.id, ...(c.name ? { name: c.name } : {}) })),
      });
    }
    const member = /^\/v3\/conversations\/([^/]+)\/members\/([^/]+)$/.exec(path);
    if (member && method === 'GET') {
      const found = this.memberOf(decodeURIComponent(member[1]!), decodeURIComponent(member[2]!));
      if (!found)
        return error(404, 'MemberNotFoundInConversation', 'The member was not found in the conversation.');
      return send(200, {
        id: found.id,
        name: found.name,
        aadObjectId: found.aadObjectId,
        email: found.email,
        userPrincipalName: found.email,
        tenantId: this.tenantId,
      });
    }
    if (path === '/v3/conversations' && method === 'POST') {
      const members = (body.members as { id?: string }[] | undefined) ?? [];
      if (body.tenantId !== this.tenantId)
        return error(400, 'BadSyntax', 'Incorrect conversation creation parameters');
      const user = this.users.find((u) => u.id === members[0]?.id && !this.outsiders.has(u.id));
      if (!user || members.length !== 1 || body.isGroup)
        return error(400, 'BadSyntax', 'Incorrect conversation creation parameters');
      return send(201, { id: this.openPersonalChat(user) });
    }
    const activity = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path);
    if (activity && (method === 'POST' || method === 'PUT')) {
      const conversationId = decodeURIComponent(activity[1]!);
      const activityId = activity[2] ? decodeURIComponent(activity[2]) : undefined;
      this.writes.push({ method, path });
      const fault = this.faults[0];
      if (fault && fault.kind !== 'lose') {
        this.faults.shift();
        if (fault.kind === 'fail')
          return error(503, 'ServiceUnavailable', 'The service is temporarily unavailable.');
        return send(
          429,
          { error: { code: 'Throttled', message: 'Too many requests' } },
          { 'retry-after': String(fault.seconds) },
        );
      }
      if (!this.knownConversation(conversationId))
        return error(404, 'ConversationNotFound', 'Conversation not found.');
      const attachments = (body.attachments as FakeTeamsMessage['attachments'] | undefined) ?? [];
      if (method === 'PUT') {
        const existing = this.messages.find(
          (m) => m.id === activityId && m.conversationId === conversationId.split(';')[0],
        );
        if (!existing) return error(404, 'ActivityNotFound', 'The activity was not found.');
        existing.attachments = attachments;
        if (typeof body.text === 'string') existing.text = body.text;
        existing.edits++;
        existing.editedAt = Date.now();
        return send(200, { id: existing.id });
      }
      const [base, thread] = conversationId.split(';messageid=');
      const replyTo =
        thread ??
        activityId ??
        (typeof body.replyToId === 'string' && this.chats.has(base!) ? body.replyToId : undefined);
      const posted: FakeTeamsMessage = {
        id: `${Date.now()}${Math.floor(Math.random() * 1000)}`,
        conversationId: base!,
        ...(replyTo && this.messages.some((m) => m.id === replyTo) ? { replyTo } : {}),
        ...(typeof body.text === 'string' ? { text: body.text } : {}),
        attachments,
        edits: 0,
        postedAt: Date.now(),
      };
      this.messages.push(posted);
      if (fault?.kind === 'lose') {
        this.faults.shift();
        res.socket?.destroy();
        return;
      }
      return send(201, { id: posted.id });
    }
    return error(404, 'NotFound', `no route ${method} ${path}`);
  }
}
