// The OpenAPI 3.1 document, generated from the route table: zod 4 emits JSON Schema 2020-12
// (what OpenAPI 3.1 uses), the named shapes of components.ts become `components.schemas`, and
// each route's error codes (src/errors.ts gives each its status) become its 4xx/5xx responses.

import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import { apiComponents, errorSchema } from './components.js';
import { type ApiRoute, documentedErrors } from './routes/route.js';

type JsonSchema = Record<string, unknown>;

const COMPONENT_REF = '#/components/schemas/';

/** Converts one schema; named components it uses are collected into `components`. */
class SchemaWriter {
  readonly components: Record<string, JsonSchema> = {};

  write(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const json = z.toJSONSchema(schema, {
      io,
      metadata: apiComponents,
      unrepresentable: 'any',
    }) as JsonSchema;
    const { $schema: _dialect, $defs, ...rest } = json;
    for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      const component = relink(def) as JsonSchema;
      const known = this.components[name];
      if (known && JSON.stringify(known) !== JSON.stringify(component)) {
        throw new Error(`component ${name} has two shapes (input and output?)`);
      }
      this.components[name] = component;
    }
    return relink(rest) as JsonSchema;
  }
}

/** `#/$defs/X` (zod's local definitions) → `#/components/schemas/X`. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (!value || typeof value !== 'object') return value;
  const out: JsonSchema = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof inner === 'string'
        ? inner.replace(/^#\/\$defs\//, COMPONENT_REF)
        : relink(inner);
  }
  return out;
}

function objectParameters(
  writer: SchemaWriter,
  schema: z.ZodType | undefined,
  where: 'query' | 'path' | 'header',
): JsonSchema[] {
  if (!schema) return [];
  const json = writer.write(schema, 'input');
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(props).map(([name, prop]) => {
    const { description, ...propSchema } = prop;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propSchema,
    };
  });
}

function queryParameters(writer: SchemaWriter, r: ApiRoute): JsonSchema[] {
  if (!r.query || !r.queryAlternativesName) return objectParameters(writer, r.query, 'query');
  // Alternatives: one object parameter, serialised as plain `name=value` pairs (form, exploded).
  return [
    {
      name: r.queryAlternativesName,
      in: 'query',
      required: true,
      style: 'form',
      explode: true,
      schema: exclusive(writer.write(r.query, 'input')),
    },
  ];
}

/** zod writes a union as anyOf; branches that exclude each other are documented as oneOf. */
function exclusive(schema: JsonSchema): JsonSchema {
  const { anyOf, ...rest } = schema;
  return anyOf ? { ...rest, oneOf: anyOf } : schema;
}

/** The document's tag of a route: the first segment after /v1 (the watch is with the events). */
function tagOf(url: string): string {
  const segment = url.startsWith('/v1/') ? url.split('/')[2] : undefined;
  if (segment === 'watch') return 'events';
  if (segment === undefined || segment === 'openapi.json') return 'meta';
  return segment;
}

function errorResponses(errorRef: JsonSchema, r: ApiRoute): Record<string, JsonSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of documentedErrors(r)) {
    const status = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, JsonSchema> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: codes.join(', '),
      content: {
        'application/json': {
          schema: {
            allOf: [
              errorRef,
              {
                type: 'object',
                properties: { error: { type: 'object', properties: { code: { enum: codes } } } },
              },
            ],
          },
        },
      },
    };
  }
  return responses;
}

function successResponse(writer: SchemaWriter, r: ApiRoute): JsonSchema {
  const status = r.status ?? 200;
  if (status === 204) return { description: 'Done; no body' };
  if (r.stream) {
    return {
      description:
        'A stream of server-sent events (text/event-stream). Each event is `id: <seq>`, ' +
        '`event: put|delete`, `data: <RequestEvent as JSON>` (schema: one event after SSE parsing, ' +
        'with `data` parsed). Comment lines (`: heartbeat`) come every 15 s. The log after the ' +
        'cursor is replayed first, then changes follow live; reconnect with `Last-Event-ID`. Credentials ' +
        'are re-checked while the stream is open: once they no longer hold, the stream ends with one ' +
        '`event: error` whose data is the Error (reconnecting then answers 401 or 403).',
      headers: Object.fromEntries(
        Object.entries(r.stream.headers).map(([name, h]) => [
          name,
          { description: h.description, schema: { type: 'string', const: h.value } },
        ]),
      ),
      content: { 'text/event-stream': { schema: writer.write(r.stream.message, 'output') } },
    };
  }
  return {
    description: 'Success',
    ...(r.response
      ? { content: { 'application/json': { schema: writer.write(r.response, 'output') } } }
      : {}),
  };
}

export interface OpenApiOptions {
  /** The package version (info.version). */
  version: string;
}

export function buildOpenApiDocument(routes: ApiRoute[], opts: OpenApiOptions): JsonSchema {
  const writer = new SchemaWriter();
  const errorRef = writer.write(errorSchema, 'output');
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const operation: JsonSchema = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [tagOf(r.url)],
      parameters: [
        ...objectParameters(writer, r.params, 'path'),
        ...queryParameters(writer, r),
        ...objectParameters(writer, r.headers, 'header'),
      ],
      responses: { [String(r.status ?? 200)]: successResponse(writer, r), ...errorResponses(errorRef, r) },
      security: r.auth ? [{ bearerAuth: [] }] : [],
    };
    if ((operation.parameters as unknown[]).length === 0) delete operation.parameters;
    if (r.body) {
      const content: JsonSchema = { 'application/json': { schema: writer.write(r.body, 'input') } };
      for (const [type, schema] of Object.entries(r.bodyContentTypes ?? {})) {
        content[type] = { schema: writer.write(schema, 'input') };
      }
      operation.requestBody = { required: true, content };
    }
    paths[path] ??= {};
    (paths[path] as Record<string, JsonSchema>)[r.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'accessbot access API',
      version: opts.version,
      description:
        'Just-in-time access requests and their reviews. Errors are always ' +
        '`{"error":{"code","message","details?"}}` with a stable `code` (see ErrorCode).',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    // Relative: the API is wherever this document was read from (a proxy may move it).
    servers: [{ url: '/', description: 'The server that serves this document' }],
    tags: [
      { name: 'requests', description: 'Access requests and their reviews' },
      { name: 'users', description: 'Access users and their tokens' },
      { name: 'roles', description: 'Role documents' },
      { name: 'whoami', description: 'The caller' },
      { name: 'events', description: 'The event log and its watch stream' },
      { name: 'meta', description: 'Health, readiness and this document' },
    ],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(writer.components).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'abt_…', description: 'An API token' },
      },
    },
  };
}
