// The host's one HTTP server: each plugin's routes under /hooks/<id>/, plus /healthz,
// /readyz and /metrics. Bodies are kept as raw bytes (no parser runs before the plugin),
// because signatures are computed over exactly what the platform sent. Calls that fail the
// plugin's authentication (401) are counted per source and throttled (auth-failures.ts); a
// hook that needs Redis while it is away answers 503 REDIS_UNAVAILABLE at once.

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { AccessbotError, isErrorCode } from '../../errors.js';
import type { Logger as PinoLogger } from '../../log.js';
import type { InboundRequest, InboundResponse, InboundRoute } from '../../plugin-sdk/index.js';
import type { HostMetrics } from '../ops/metrics.js';
import { type AuthFailures, sourceOf } from './auth-failures.js';

export interface InboundServerDeps {
  routes: Map<string, InboundRoute[]>;
  log: PinoLogger;
  authFailures: AuthFailures;
  counters: Pick<HostMetrics, 'inboundRefused' | 'inboundThrottled'>;
  health(): Promise<{ ready: boolean; checks: Record<string, string> }>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /**
   * Absolute URL of the page where people sign in (the plugin that declares `signInPage`,
   * under host.public_url): `GET /sign-in` sends them there, query and all, so a login link
   * names no plugin.
   */
  signInPage?: string;
}

const BODY_LIMIT = 1024 * 1024;

function sendError(reply: FastifyReply, err: AccessbotError): FastifyReply {
  return reply.status(err.status).type('application/json').send(JSON.stringify(err.toJSON()));
}

/** The stable code and message of a plugin's refusal (`errorResponse`), if it is one. */
function refusalOf(res: InboundResponse): { code: string; message: string } {
  const body = res.body;
  const error =
    body && typeof body === 'object' && !Buffer.isBuffer(body) && !Array.isArray(body)
      ? (body as { error?: { code?: unknown; message?: unknown } }).error
      : undefined;
  return {
    code: isErrorCode(error?.code) ? error.code : 'UNAUTHENTICATED',
    message: typeof error?.message === 'string' ? error.message : 'authentication failed',
  };
}

function headersOf(req: FastifyRequest): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers))
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export async function startInboundServer(
  d: InboundServerDeps,
  listen: { host: string; port: number },
): Promise<{ app: FastifyInstance; url: string; port: number }> {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, return503OnClosing: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const h = await d.health();
    return reply.status(h.ready ? 200 : 503).send({ ready: h.ready, checks: h.checks });
  });
  app.get('/metrics', async (_req, reply) => {
    const m = await d.metrics();
    return reply.type(m.contentType).send(m.body);
  });

  const signInPage = d.signInPage;
  if (signInPage)
    app.get('/sign-in', async (req, reply) => {
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      return reply
        .status(303)
        .header('location', `${signInPage}${query}`)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .send();
    });

  const hook = async (req: FastifyRequest, reply: FastifyReply) => {
    const { plugin } = req.params as { plugin: string };
    const rest = (req.params as Record<string, string | undefined>)['*'] ?? '';
    const path = `/${rest}`.replace(/\/+$/, '') || '/';
    const routes = d.routes.get(plugin);
    // A HEAD (mail scanners send them) is answered by the GET route; fastify drops the body.
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const route = routes?.find((r) => r.method === method && (r.path.replace(/\/+$/, '') || '/') === path);
    if (!route)
      return sendError(
        reply,
        new AccessbotError('NOT_FOUND', `no hook ${req.method} /hooks/${plugin}${path}`),
      );
    const inbound: InboundRequest = {
      method: req.method,
      path,
      headers: headersOf(req),
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      query: Object.fromEntries(
        Object.entries((req.query ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
      ),
    };
    let res: InboundResponse;
    try {
      res = await route.handler(inbound);
    } catch (err) {
      // Redis or the API away: the caller (the platform, or the person behind it) may retry.
      if (err instanceof AccessbotError && err.status === 503) return sendError(reply, err);
      d.log.error(
        { plugin, path, err: err instanceof Error ? err.message : String(err) },
        'inbound handler failed',
      );
      return sendError(reply, new AccessbotError('INTERNAL', 'the hook failed; see the host log'));
    }
    if (res.status === 401) {
      const refusal = refusalOf(res);
      d.counters.inboundRefused.inc({ plugin, reason: refusal.code });
      const verdict = d.authFailures.record({
        plugin,
        source: sourceOf(req.socket.remoteAddress),
        code: refusal.code,
        why: refusal.message,
      });
      if (verdict.throttled) {
        d.counters.inboundThrottled.inc({ plugin });
        reply.header('retry-after', String(verdict.retryAfterSeconds));
        return sendError(
          reply,
          new AccessbotError(
            'TOO_MANY_FAILED_AUTH',
            `too many calls from this address failed authentication; retry after ${verdict.retryAfterSeconds} s`,
          ),
        );
      }
    }
    reply.status(res.status);
    for (const [k, v] of Object.entries(res.headers ?? {})) reply.header(k, v);
    if (res.body === undefined) return reply.send();
    if (typeof res.body === 'string' || Buffer.isBuffer(res.body)) return reply.send(res.body);
    return reply.type('application/json').send(JSON.stringify(res.body));
  };
  app.route({ method: ['GET', 'POST', 'PUT'], url: '/hooks/:plugin', handler: hook });
  app.route({ method: ['GET', 'POST', 'PUT'], url: '/hooks/:plugin/*', handler: hook });

  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new AccessbotError('NOT_FOUND', `no route ${req.method} ${req.url}`)),
  );
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 413) return sendError(reply, new AccessbotError('PAYLOAD_TOO_LARGE', 'body too large'));
    if (status >= 400 && status < 500)
      return sendError(reply, new AccessbotError('BAD_REQUEST', err.message));
    d.log.error({ err: err.message }, 'inbound server error');
    return sendError(reply, new AccessbotError('INTERNAL', 'internal error'));
  });

  await app.listen({ host: listen.host, port: listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return { app, url: `http://${host}:${port}`, port };
}
