// Posts a signed card to a receiver. Each delivery carries the host's deterministic delivery
// id, the same on every retry, so a receiver that remembers ids sees every message once.
// No retries here: the host's queue retries with backoff and honours Retry-After.
// undici's dispatcher with a bare handler rather than request(), fetch or node:http: on Node 20
// it costs the least CPU per post (no response stream is built for a body we throw away;
// request() costs ~25% more per post, node:http ~1.5×, fetch the most).

import { Agent, type Dispatcher } from 'undici';
import { type Card, errorFromHttpStatus, transient } from '../../src/plugin-sdk/index.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign, TIMESTAMP_HEADER } from './signature.js';

export type WebhookEvent = 'request.posted' | 'request.updated' | 'request.reminder' | 'request.deleted';

export interface WebhookPayload {
  event: WebhookEvent;
  delivery: string;
  card: Card;
}

/** Keep-alive connections per receiver origin (http and https alike). */
const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });

/** Origin and path of each receiver URL, parsed once (a host posts to a handful of URLs). */
const parsedUrls = new Map<string, { origin: string; path: string }>();
const PARSED_URLS_MAX = 1_000;

function originAndPath(url: string): { origin: string; path: string } {
  let parsed = parsedUrls.get(url);
  if (!parsed) {
    const u = new URL(url);
    parsed = { origin: u.origin, path: `${u.pathname}${u.search}` };
    if (parsedUrls.size >= PARSED_URLS_MAX) parsedUrls.clear();
    parsedUrls.set(url, parsed);
  }
  return parsed;
}

/** The Retry-After value among undici's raw response headers ([name, value, name, value, …]). */
function retryAfterOf(raw: Buffer[]): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 11 && name.toString('latin1').toLowerCase() === 'retry-after')
      return raw[i + 1]!.toString('latin1');
  }
  return undefined;
}

function post(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  timeoutMs: number,
): Promise<{ status: number; retryAfter?: string }> {
  const { origin, path } = originAndPath(url);
  return new Promise((resolve, reject) => {
    let status = 0;
    let retryAfter: string | undefined;
    const handler: Dispatcher.DispatchHandlers = {
      onConnect() {},
      onError: reject,
      onHeaders(statusCode, raw) {
        status = statusCode;
        retryAfter = retryAfterOf(raw);
        return true;
      },
      // The body is read to its end (so the keep-alive connection is reused) and dropped.
      onData: () => true,
      onComplete() {
        resolve({ status, ...(retryAfter ? { retryAfter } : {}) });
      },
    };
    agent.dispatch(
      { origin, path, method: 'POST', headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
      handler,
    );
  });
}

export async function sendCard(
  url: string,
  secret: string,
  timeoutMs: number,
  payload: WebhookPayload,
  nowMs = Date.now(),
): Promise<void> {
  // Only for error messages: parsing the URL costs more than it is worth on every post.
  const host = () => new URL(url).host;
  // Encoded once: the signature and the socket both take the bytes.
  const body = Buffer.from(JSON.stringify(payload));
  const timestamp = String(Math.floor(nowMs / 1000));
  let res: { status: number; retryAfter?: string };
  try {
    res = await post(
      url,
      {
        'content-type': 'application/json',
        'user-agent': 'accessbot-webhook',
        [EVENT_HEADER]: payload.event,
        [DELIVERY_HEADER]: payload.delivery,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: sign(secret, timestamp, body),
      },
      body,
      timeoutMs,
    );
  } catch (err) {
    throw transient(
      `webhook ${host()} unreachable: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
  if (res.status < 200 || res.status >= 300) {
    throw errorFromHttpStatus(res.status, `webhook ${host()} answered ${res.status}`, res.retryAfter ?? null);
  }
}
