// One declaration per HTTP route: the server registers it, and the OpenAPI document is
// generated from the same declaration (so documented and served shapes match, and the
// contract test holds the server to it).

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { User } from '../../access/types.js';
import type { ErrorCode } from '../../errors.js';

export interface RouteContext<B = unknown, Q = unknown> {
  /** The authenticated caller (routes with `auth: false` get none). */
  caller: User;
  body: B;
  query: Q;
  params: Record<string, string>;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface ApiRoute<B = unknown, Q = unknown> {
  method: 'GET' | 'POST' | 'DELETE';
  /** fastify path syntax, e.g. /v1/requests/:id */
  url: string;
  /** OpenAPI operationId: the method name a generated client gets. */
  operationId: string;
  summary: string;
  auth: boolean;
  params?: z.ZodType;
  body?: z.ZodType<B>;
  /** Request content types accepted besides JSON, each with the schema of its text. */
  bodyContentTypes?: Record<string, z.ZodType>;
  query?: z.ZodType<Q>;
  /**
   * Query parameters that only make sense together, documented as one form-exploded object
   * parameter of this name whose schema is the query's union (`email` alone, or `trait` with `value`).
   */
  queryAlternativesName?: string;
  /** Request headers the route reads (documented; the handler parses them). */
  headers?: z.ZodType;
  /** A named component from components.ts (or an array of one). */
  response?: z.ZodType;
  /** Success status; 204 routes return nothing. */
  status?: 200 | 201 | 204;
  /**
   * Server-sent events: the route writes the raw response itself. `message` is the shape of
   * one event after SSE parsing; `headers` are the stream's response headers.
   */
  stream?: { message: z.ZodType; headers: Record<string, { description: string; value: string }> };
  /** Error codes this route answers besides the ones `documentedErrors` adds for every route of its kind. */
  errors: readonly ErrorCode[];
  handler: (ctx: RouteContext<B, Q>) => Promise<unknown>;
}

/** Keeps B and Q inferred per route while the table holds them as ApiRoute. */
export function route<B, Q>(def: ApiRoute<B, Q>): ApiRoute {
  return def as unknown as ApiRoute;
}

/**
 * Codes every route that checks a bearer token may answer (a source with too many failed
 * authentications is refused before its token is looked up: auth-throttle.ts).
 */
export const AUTH_ERRORS: readonly ErrorCode[] = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'TOO_MANY_FAILED_AUTH'];
/** Codes every route that validates a path, query, header or body may answer. */
export const INPUT_ERRORS: readonly ErrorCode[] = ['VALIDATION_FAILED'];
/**
 * Codes every route that writes to the store may answer: a full disk, or a database file that
 * is read-only, locked, moved or failing (src/store/store-errors.ts).
 */
export const WRITE_ERRORS: readonly ErrorCode[] = ['STORAGE_FULL', 'STORE_UNAVAILABLE'];
/** Codes every route that reads a body may answer. */
export const BODY_ERRORS: readonly ErrorCode[] = ['PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];

/**
 * Every error code a route may answer: its own, plus those of its kind (authentication,
 * input validation, body size and type). The document lists them per status; the contract
 * test holds the server to them.
 */
export function documentedErrors(r: ApiRoute): ErrorCode[] {
  const codes = new Set<ErrorCode>(r.errors);
  if (r.auth) for (const code of AUTH_ERRORS) codes.add(code);
  if (r.params || r.query || r.body || r.headers) for (const code of INPUT_ERRORS) codes.add(code);
  if (r.body) for (const code of BODY_ERRORS) codes.add(code);
  return [...codes];
}
