// A real webhook receiver on 127.0.0.1 for tests and the bench: checks the accessbot
// signature on every call, remembers deliveries by their X-Accessbot-Delivery id (as a real
// idempotent receiver would), and can be told to fail (500s, 429 + Retry-After) for a while.

import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Card } from '../../src/plugin-sdk/index.js';

export interface ReceivedDelivery {
  delivery: string;
  event: string;
  path: string;
  requestId: string;
  version: number;
  state: string;
  card: Card;
  /** ms since epoch when first received. */
  at: number;
  /** How many times this delivery id arrived (>1 = a retried send the receiver dropped). */
  copies: number;
}

export type ReceiverAnswer = { status: number; retryAfter?: string; body?: string };

export interface Receiver {
  url: string;
  /** A distinct target URL on this receiver. */
  urlFor(path: string): string;
  /** Unique deliveries (first copy of each delivery id), in arrival order. */
  deliveries(): ReceivedDelivery[];
  /** How many unique `request.posted` deliveries a path got (cheap enough to poll). */
  postedCount(path: string): number;
  /** `request.posted` deliveries per `<requestId> <path>`. */
  postsByTarget(): Map<string, ReceivedDelivery[]>;
  /** The newest card a target has seen for a request (highest version). */
  latest(requestId: string, path: string): Card | undefined;
  /** Calls answered 2xx, including duplicate copies. */
  accepted(): number;
  /** Calls refused for a bad or missing signature. */
  badSignatures(): number;
  /** Calls answered with a failure by `answer`. */
  failedCalls(): number;
  /** Calls being handled right now (useful with `delay`). */
  inFlight(): number;
  /** Hold every call this long before answering (0 = answer at once). */
  delay(ms: number): void;
  /**
   * The next `count` signed calls are taken in (remembered like any other) but answered 502, as
   * when the receiver's answer is lost on the way back to the sender.
   */
  loseNextAnswers(count: number): void;
  /** Answers still to be lost. */
  answersStillToLose(): number;
  /** Decide the answer for each call (null = accept). Reset with answer(null). */
  answer(fn: ((call: number, path: string) => ReceiverAnswer | null) | null): void;
  stop(): Promise<void>;
}

/** Listeners rather than test/fakes/read-body.ts's for-await: the bench sends this receiver thousands of posts a second. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startReceiver(opts: { secret: string }): Promise<Receiver> {
  const byId = new Map<string, ReceivedDelivery>();
  const order: ReceivedDelivery[] = [];
  const postedByPath = new Map<string, number>();
  let accepted = 0;
  let badSignatures = 0;
  let failedCalls = 0;
  let calls = 0;
  let inFlight = 0;
  let delayMs = 0;
  let answerFn: ((call: number, path: string) => ReceiverAnswer | null) | null = null;
  let answersToLose = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    const ts = String(req.headers['x-accessbot-timestamp'] ?? '');
    const sig = String(req.headers['x-accessbot-signature'] ?? '');
    const expected = `v1=${createHmac('sha256', opts.secret).update(`${ts}.`).update(raw).digest('hex')}`;
    if (!ts || sig !== expected) {
      badSignatures++;
      res.writeHead(401).end('bad signature');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const forced = answerFn?.(++calls, path) ?? null;
    if (forced) {
      failedCalls++;
      res.writeHead(forced.status, forced.retryAfter ? { 'retry-after': forced.retryAfter } : {});
      res.end(forced.body ?? '');
      return;
    }
    const payload = JSON.parse(raw.toString('utf8')) as { event: string; delivery: string; card: Card };
    const id = String(req.headers['x-accessbot-delivery'] ?? '');
    const seen = byId.get(id);
    if (seen) seen.copies++;
    else {
      const entry: ReceivedDelivery = {
        delivery: id,
        event: payload.event,
        path,
        requestId: payload.card.requestId,
        version: payload.card.version,
        state: payload.card.state,
        card: payload.card,
        at: Date.now(),
        copies: 1,
      };
      byId.set(id, entry);
      order.push(entry);
      if (entry.event === 'request.posted') postedByPath.set(path, (postedByPath.get(path) ?? 0) + 1);
    }
    if (answersToLose > 0) {
      answersToLose--;
      failedCalls++;
      res.writeHead(502).end('bad gateway');
      return;
    }
    accepted++;
    res.writeHead(204).end();
  };

  const server = createServer((req, res) => {
    inFlight++;
    const run = async () => {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      await handle(req, res);
    };
    run()
      .catch(() => res.writeHead(400).end())
      .finally(() => inFlight--);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    urlFor: (path) => `${url}/${path.replace(/^\//, '')}`,
    deliveries: () => [...order],
    postedCount: (path) => postedByPath.get(`/${path.replace(/^\//, '')}`) ?? 0,
    postsByTarget() {
      const out = new Map<string, ReceivedDelivery[]>();
      for (const d of order) {
        if (d.event !== 'request.posted') continue;
        const key = `${d.requestId} ${d.path}`;
        out.set(key, [...(out.get(key) ?? []), d]);
      }
      return out;
    },
    latest(requestId, path) {
      let best: ReceivedDelivery | undefined;
      for (const d of order) {
        if (d.requestId === requestId && d.path === path && (!best || d.version > best.version)) best = d;
      }
      return best?.card;
    },
    accepted: () => accepted,
    badSignatures: () => badSignatures,
    failedCalls: () => failedCalls,
    inFlight: () => inFlight,
    delay(ms) {
      delayMs = ms;
    },
    loseNextAnswers(count) {
      answersToLose += count;
    },
    answersStillToLose: () => answersToLose,
    answer(fn) {
      answerFn = fn;
      calls = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a decision to the webhook hook signed with `secret` (timestamp overridable to test staleness). */
export async function postSignedDecision(
  hookUrl: string,
  secret: string,
  body: unknown,
  opts: { timestamp?: number; signature?: string } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const raw = JSON.stringify(body);
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const sig = opts.signature ?? `v1=${createHmac('sha256', secret).update(`${ts}.${raw}`).digest('hex')}`;
  const res = await fetch(hookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-accessbot-timestamp': ts,
      'x-accessbot-signature': sig,
    },
    body: raw,
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
