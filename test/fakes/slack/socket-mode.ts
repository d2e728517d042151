// Fake Socket Mode: `apps.connections.open` (with the app-level token) hands out a ws:// URL
// on the fake's own port; the app connects, gets `hello`, and receives interactions as
// envelopes `{ envelope_id, type: 'interactive', payload, accepts_response_payload }`, which it
// must acknowledge by sending `{ envelope_id, payload? }` back.

import { randomUUID } from 'node:crypto';
import type { FakeSlack } from './server.js';
import { acceptWebSocket, type FakeWebSocket } from './websocket.js';

type Json = Record<string, unknown>;

export class FakeSocketMode {
  private readonly sockets = new Set<FakeWebSocket>();
  private readonly pending = new Map<string, (ack: Json) => void>();
  private readonly tickets = new Set<string>();
  /** Every ack received, in order. */
  readonly acks: Json[] = [];

  constructor(fake: FakeSlack) {
    fake.socketUrl = () => {
      const ticket = randomUUID();
      this.tickets.add(ticket);
      return `${fake.apiUrl.replace(/^http/, 'ws').replace(/\/api\/$/, '')}/link/?ticket=${ticket}`;
    };
    fake.onUpgrade = (req, socket) => {
      const ticket = new URL(req.url ?? '/', 'http://x').searchParams.get('ticket') ?? '';
      if (!this.tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      const ws = acceptWebSocket(
        req,
        socket,
        (text) => this.onText(text),
        () => this.sockets.delete(ws!),
      );
      if (!ws) return;
      this.sockets.add(ws);
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: this.sockets.size,
          debug_info: { host: 'fake', approximate_connection_time: 18060 },
          connection_info: { app_id: 'A0001' },
        }),
      );
    };
  }

  get connections(): number {
    return this.sockets.size;
  }

  private onText(text: string): void {
    let msg: Json;
    try {
      msg = JSON.parse(text) as Json;
    } catch {
      return;
    }
    const id = typeof msg.envelope_id === 'string' ? msg.envelope_id : undefined;
    if (!id) return;
    this.acks.push(msg);
    this.pending.get(id)?.(msg);
    this.pending.delete(id);
  }

  /** Sends an interaction to one connected app; resolves with its ack (rejects after `timeoutMs`). */
  sendInteractive(payload: Json, timeoutMs = 10_000): Promise<Json> {
    const ws = [...this.sockets][0];
    if (!ws) return Promise.reject(new Error('no socket mode connection'));
    const envelopeId = randomUUID();
    return new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        reject(new Error(`no ack for envelope ${envelopeId} within ${timeoutMs}ms`));
      }, timeoutMs);
      this.pending.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      ws.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type: 'interactive',
          payload,
          accepts_response_payload: true,
          retry_attempt: 0,
          retry_reason: '',
        }),
      );
    });
  }

  closeAll(): void {
    for (const ws of this.sockets) ws.close();
  }
}
