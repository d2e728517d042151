// One declaration per HTTP route: the server registers it, and the OpenAPI document is
// generated from the same declaration (so documented and served shapes match).

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { User } from '../../access/types.js';

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
  summary: string;
  auth: boolean;
  params?: z.ZodType;
  body?: z.ZodType<B>;
  /** Extra request content types documented besides JSON (the parser is registered by the server). */
  bodyContentTypes?: string[];
  query?: z.ZodType<Q>;
  response?: z.ZodType;
  /** Success status; 204 routes return nothing. */
  status?: 200 | 201 | 204;
  /** The route writes the raw response itself (server-sent events). */
  streaming?: boolean;
  handler: (ctx: RouteContext<B, Q>) => Promise<unknown>;
}

/** Keeps B and Q inferred per route while the table holds them as ApiRoute. */
export function route<B, Q>(def: ApiRoute<B, Q>): ApiRoute {
  return def as unknown as ApiRoute;
}
