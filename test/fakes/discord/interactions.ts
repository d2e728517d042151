// What Discord sends to an application's Interactions Endpoint URL, built from what the fake
// holds: PINGs, a click on a button of a posted message (type 3) and the submission of the
// modal the app answered with (type 5), each signed with Discord's Ed25519 key exactly as
// Discord signs (`X-Signature-Ed25519` over `X-Signature-Timestamp + body`). The answer is
// applied as Discord would: a modal opens, a type 7 edits the message, an ephemeral reaches
// only the clicker, and an answer later than 3 s is an "interaction failed".

import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { modalViolation } from './limits.js';
import type { FakeDiscord, FakeDiscordMessage } from './server.js';

type Json = Record<string, unknown>;

/** Discord fails an interaction that is not answered within 3 seconds. */
export const INTERACTION_DEADLINE_MS = 3000;

export interface OpenedModal {
  interactionId: string;
  userId: string;
  messageId: string;
  channelId: string;
  data: Json;
}

export interface InteractionResult {
  status: number;
  /** The answer's JSON (or error body). */
  body: Json;
  /** Milliseconds from sending to the answer. */
  ms: number;
  /** What Discord shows: the modal opened, the message updated, an ephemeral, a failure. */
  shown: { modal?: OpenedModal; updated?: boolean; ephemeral?: string; failed?: string };
}

export interface SignOptions {
  timestampSeconds?: number;
  /** Sign with another key (a forger). */
  key?: KeyObject;
  /** Send no signature headers at all. */
  unsigned?: boolean;
}

export class FakeDiscordInteractions {
  private readonly keys = generateKeyPairSync('ed25519');
  readonly modals: OpenedModal[] = [];
  /** Set to the app's endpoint, e.g. `<host>/hooks/discord/interactions`. */
  endpoint = '';

  constructor(private readonly fake: FakeDiscord) {}

  /** The application public key as the Developer Portal shows it (hex). */
  get publicKeyHex(): string {
    const jwk = this.keys.publicKey.export({ format: 'jwk' }) as { x: string };
    return Buffer.from(jwk.x, 'base64url').toString('hex');
  }

  /** The headers Discord adds to a body sent at `timestampSeconds`. */
  signedHeaders(body: string, opts: SignOptions = {}): Record<string, string> {
    if (opts.unsigned) return { 'content-type': 'application/json' };
    const timestamp = String(opts.timestampSeconds ?? Math.floor(Date.now() / 1000));
    const signature = sign(null, Buffer.from(timestamp + body), opts.key ?? this.keys.privateKey).toString(
      'hex',
    );
    return {
      'content-type': 'application/json',
      'x-signature-ed25519': signature,
      'x-signature-timestamp': timestamp,
      'user-agent': 'Discord-Interactions/1.0 (+https://discord.com)',
    };
  }

  async ping(opts: SignOptions = {}): Promise<InteractionResult> {
    return this.send(
      {
        id: this.fake.snowflake(),
        application_id: this.fake.applicationId,
        type: 1,
        token: this.token(),
        version: 1,
      },
      opts,
    );
  }

  /** `userId` clicks the button whose custom_id starts with `accessbot:<action>` on `message`. */
  async click(
    message: FakeDiscordMessage,
    userId: string,
    action: 'approve' | 'deny',
    opts: SignOptions = {},
  ): Promise<InteractionResult> {
    const button = buttonsOf(message).find((b) => String(b.custom_id).startsWith(`accessbot:${action}:`));
    if (!button)
      throw new Error(`no ${action} button on message ${message.id}; has ${customIds(message).join(',')}`);
    return this.send(
      this.base(2 + 1, message, userId, { custom_id: button.custom_id, component_type: 2 }),
      opts,
    );
  }

  /** `userId` submits `modal` with `reason` typed into its text input. */
  async submit(
    modal: OpenedModal,
    reason: string,
    opts: SignOptions & { userId?: string } = {},
  ): Promise<InteractionResult> {
    const message = this.fake.message(modal.messageId);
    if (!message) throw new Error(`message ${modal.messageId} is gone`);
    const components = ((modal.data.components as Json[]) ?? []).map((c, i) => {
      const input = (c.type === 18 ? c.component : (c.components as Json[])[0]) as Json;
      const filled = { type: 4, id: i * 2 + 2, custom_id: input.custom_id, value: reason };
      return c.type === 18
        ? { type: 18, id: i * 2 + 1, component: filled }
        : { type: 1, id: i * 2 + 1, components: [filled] };
    });
    return this.send(
      this.base(5, message, opts.userId ?? modal.userId, { custom_id: modal.data.custom_id, components }),
      opts,
    );
  }

  /** Posts a signed (or forged, stale, unsigned) interaction and applies the answer. */
  async send(payload: Json, opts: SignOptions = {}): Promise<InteractionResult> {
    if (!this.endpoint) throw new Error('set the interactions endpoint first');
    const body = JSON.stringify(payload);
    const started = performance.now();
    let res: Response;
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers: this.signedHeaders(body, opts),
        body,
        signal: AbortSignal.timeout(INTERACTION_DEADLINE_MS),
      });
    } catch (err) {
      return {
        status: 0,
        body: {},
        ms: performance.now() - started,
        shown: { failed: `no answer: ${String(err)}` },
      };
    }
    const text = await res.text();
    const ms = performance.now() - started;
    let answer: Json = {};
    try {
      answer = text ? (JSON.parse(text) as Json) : {};
    } catch {
      return { status: res.status, body: {}, ms, shown: { failed: 'answer is not JSON' } };
    }
    const result: InteractionResult = { status: res.status, body: answer, ms, shown: {} };
    if (res.status !== 200) {
      result.shown.failed = `endpoint answered ${res.status}`;
      return result;
    }
    this.apply(payload, answer, result);
    return result;
  }

  private apply(payload: Json, answer: Json, result: InteractionResult): void {
    const data = (answer.data as Json | undefined) ?? {};
    const userId = String(
      ((payload.member as Json | undefined)?.user as Json | undefined)?.id ??
        (payload.user as Json | undefined)?.id ??
        '',
    );
    const source = payload.message as Json | undefined;
    const message = source ? this.fake.message(String(source.id)) : undefined;
    switch (answer.type) {
      case 1:
        if (payload.type !== 1) result.shown.failed = 'PONG to a non-PING';
        return;
      case 4:
        if ((Number(data.flags ?? 0) & 64) !== 0) {
          const content = String(data.content ?? '');
          this.fake.ephemerals.push({ userId, content, interactionId: String(payload.id) });
          result.shown.ephemeral = content;
        } else result.shown.failed = 'a public answer to a review click';
        return;
      case 6:
        return;
      case 7: {
        if (!message) {
          result.shown.failed = 'type 7 without a source message';
          return;
        }
        const violation = this.fake.editMessage(message, data, 'interaction');
        if (violation) result.shown.failed = `invalid message: ${violation}`;
        else result.shown.updated = true;
        return;
      }
      case 9: {
        if (payload.type === 5) {
          result.shown.failed = 'a modal cannot answer a modal submission';
          return;
        }
        const violation = modalViolation(data);
        if (violation) {
          result.shown.failed = `invalid modal: ${violation}`;
          return;
        }
        const modal: OpenedModal = {
          interactionId: String(payload.id),
          userId,
          messageId: String(source?.id ?? ''),
          channelId: String(payload.channel_id ?? ''),
          data,
        };
        this.modals.push(modal);
        result.shown.modal = modal;
        return;
      }
      default:
        result.shown.failed = `unknown interaction response type ${String(answer.type)}`;
    }
  }

  private token(): string {
    return `aW50ZXJhY3Rpb24${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  }

  private base(type: number, message: FakeDiscordMessage, userId: string, data: Json): Json {
    const user = this.fake.users.get(userId) ?? { id: userId, username: `user${userId.slice(-4)}` };
    const channel = this.fake.channels.get(message.channel_id);
    const inGuild = channel?.type !== 1;
    const id = this.fake.snowflake();
    const token = this.token();
    this.fake.interactions.set(id, {
      id,
      token,
      userId,
      messageId: message.id,
      channelId: message.channel_id,
      issued: Date.now(),
    });
    return {
      id,
      application_id: this.fake.applicationId,
      type,
      token,
      version: 1,
      data,
      channel_id: message.channel_id,
      channel: {
        id: message.channel_id,
        type: channel?.type ?? 0,
        ...(channel?.name ? { name: channel.name } : {}),
      },
      ...(inGuild
        ? {
            guild_id: this.fake.guildId,
            member: {
              user: this.fake.userJson(user),
              roles: [],
              permissions: '2248473465835073',
              joined_at: new Date().toISOString(),
            },
          }
        : { user: this.fake.userJson(user) }),
      message: this.fake.messageJson(message),
      app_permissions: '2248473465835073',
      locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': this.fake.guildId },
      context: inGuild ? 0 : 1,
      attachment_size_limit: 10485760,
    };
  }
}

function buttonsOf(message: FakeDiscordMessage): Json[] {
  return message.components.flatMap((row) =>
    ((row.components as Json[] | undefined) ?? []).filter((c) => c.type === 2),
  );
}

/** custom_ids of the buttons a person sees on a message right now. */
export function customIds(message: FakeDiscordMessage): string[] {
  return buttonsOf(message).map((b) => String(b.custom_id));
}

/** The actions the buttons on a message offer now, e.g. ['approve', 'deny']. */
export function buttonActions(message: FakeDiscordMessage): string[] {
  return customIds(message).map((id) => id.split(':')[1] ?? id);
}
