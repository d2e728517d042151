// The fastify instance: registers the route table with auth before body parsing, zod
// validation, one error shape, and a text body parser for the routes that take YAML.

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
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

/**
 * Longest path parameter the router passes to a route: a name may have 253 characters, each
 * up to 3 when percent-encoded. Longer ones are refused before routing with the same answer as
 * a name of 254 characters, 400 VALIDATION_FAILED: one over-long parameter, one answer.
 */
const MAX_PATH_PARAM_CHARS = 253 * 3;

export function buildApp(
  routes: ApiRoute[],
  deps: { store: Store; settings: ServiceSettings; log: Logger; throttle: AuthThrottle },
): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    routerOptions: { maxParamLength: MAX_PATH_PARAM_CHARS },
    // Errors fastify raises before a route runs (bad URL encoding, over-long parameters) and
    // those Node's parser raises (over-long headers) answer in the one error shape too.
    frameworkErrors: (err, _req, reply) => {
      const e = toAccessbotError(err);
      (reply as FastifyReply).code(e.status).send(e.toJSON());
    },
    clientErrorHandler: (err, socket) => {
      const response = clientErrorResponse(err);
      if (response && socket.writable) socket.end(response);
      else socket.destroy(err);
    },
    // Watch streams never go idle; close() must end them rather than wait forever.
    forceCloseConnections: true,
  });
  // Bodies are JSON (or YAML where a route says so): plain text is 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  const callers = new WeakMap<FastifyRequest, User>();

  // The text types routes accept besides JSON (YAML role documents) reach them as strings; the
  // list comes from the routes, so what is parsed is what the document says is accepted.
  const textTypes = [...new Set(routes.flatMap((r) => Object.keys(r.bodyContentTypes ?? {})))];
  if (textTypes.length > 0) {
    app.addContentTypeParser(textTypes, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  }

  app.setErrorHandler((err, req, reply) => {
    const e = toAccessbotError(err);
    if (e.status >= 500)
      deps.log.error({ err, method: req.method, url: req.routeOptions.url }, 'request failed');
    else deps.log.debug({ code: e.code, method: req.method, url: req.routeOptions.url }, 'request refused');
    const retryAfter = (e.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    return reply.code(e.status).send(e.toJSON());
  });

  const methodsOf = allowedMethods(routes);
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const allowed = methodsOf(path);
    if (allowed.length > 0) {
      const e = new AccessbotError(
        'METHOD_NOT_ALLOWED',
        `${path} answers ${allowed.join(', ')}, not ${req.method}`,
      );
      return reply.code(405).header('allow', allowed.join(', ')).send(e.toJSON());
    }
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
        const body = r.body ? parseInput(bodySchema(r, req), req.body, 'body') : undefined;
        const caller = callers.get(req) as User;
        const result = await r.handler({ caller, body, query, params, request: req, reply });
        if (r.stream) return reply;
        if (r.status === 204) return reply.code(204).send();
        return reply.code(r.status ?? 200).send(result);
      },
    });
  }
  return app;
}

/** The schema for the body's content type: YAML text, or the JSON schema. */
function bodySchema(r: ApiRoute, req: FastifyRequest): z.ZodType {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return r.bodyContentTypes?.[type] ?? (r.body as z.ZodType);
}

/** For a path no route answers with the asked method: the methods it does answer (HEAD with GET). */
function allowedMethods(routes: ApiRoute[]): (path: string) => string[] {
  const patterns = routes.map((r) => ({
    method: r.method,
    pattern: new RegExp(`^${r.url.replace(/:[A-Za-z_]+/g, '[^/]+')}/?$`),
  }));
  return (path) => {
    const methods = new Set<string>();
    for (const { method, pattern } of patterns) {
      if (!pattern.test(path)) continue;
      methods.add(method);
      if (method === 'GET') methods.add('HEAD');
    }
    return [...methods];
  };
}
