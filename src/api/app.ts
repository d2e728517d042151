// The fastify instance: registers the route table with auth before body parsing, zod
// validation, one error shape, and a YAML body parser for role documents.

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { User } from '../access/types.js';
import { AccessbotError, hasCode } from '../errors.js';
import type { Store } from '../store/types.js';
import type { ServiceSettings } from './access-context.js';
import { authenticate } from './auth.js';
import type { AuthThrottle } from './auth-throttle.js';
import { clientErrorResponse, toAccessbotError } from './http-errors.js';
import { MAX_BODY_BYTES } from './limits.js';
import type { ApiRoute } from './routes/route.js';
import { parseInput } from './schemas.js';

/** Longest path parameter: names are at most 253 characters, percent-encoded up to 3× that. */
const MAX_PARAM_LENGTH = 800;

export function buildApp(
  routes: ApiRoute[],
  deps: { store: Store; settings: ServiceSettings; log: Logger; throttle: AuthThrottle },
): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors fastify raises before a route runs (bad URL encoding, over-long parameters) and
    // those Node's parser raises (over-long headers) answer in the one error shape too.
    frameworkErrors: (err, _req, reply) => {
      const e = toAccessbotError(err);
      void (reply as unknown as FastifyReply).code(e.status).send(e.toJSON());
    },
    clientErrorHandler: (err, socket) => {
      const response = clientErrorResponse(err);
      if (response && socket.writable) socket.end(response);
      else socket.destroy(err);
    },
    // Watch streams never go idle; close() must end them rather than wait forever.
    forceCloseConnections: true,
  });
  const callers = new WeakMap<FastifyRequest, User>();

  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  app.setErrorHandler((err, req, reply) => {
    const e = toAccessbotError(err);
    if (e.status >= 500)
      deps.log.error({ err, method: req.method, url: req.routeOptions.url }, 'request failed');
    else deps.log.debug({ code: e.code, method: req.method, url: req.routeOptions.url }, 'request refused');
    const retryAfter = (e.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    return reply.code(e.status).send(e.toJSON());
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const e = new AccessbotError('NOT_FOUND', `no route ${req.method} ${path}`);
    return reply.code(404).send(e.toJSON());
  });

  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.url,
      // Authentication runs before the body is read: anonymous callers cost nothing.
      ...(r.auth
        ? {
            onRequest: async (req: FastifyRequest) => {
              deps.throttle.check(req.ip);
              try {
                callers.set(
                  req,
                  await authenticate(deps.store, req.headers.authorization, deps.settings.now()),
                );
              } catch (err) {
                if (hasCode(err, 'UNAUTHENTICATED') || hasCode(err, 'INVALID_TOKEN')) {
                  deps.throttle.recordFailure(req.ip);
                }
                throw err;
              }
            },
          }
        : {}),
      handler: async (req, reply) => {
        const params = (r.params ? parseInput(r.params, req.params, 'path') : req.params) as Record<
          string,
          string
        >;
        const query = r.query ? parseInput(r.query, req.query, 'query') : undefined;
        const body = r.body ? parseInput(r.body, req.body, 'body') : undefined;
        const caller = callers.get(req) as User;
        const result = await r.handler({ caller, body, query, params, request: req, reply });
        if (r.streaming) return reply;
        if (r.status === 204) return reply.code(204).send();
        return reply.code(r.status ?? 200).send(result);
      },
    });
  }
  return app;
}
