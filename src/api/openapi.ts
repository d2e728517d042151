// OpenAPI 3.1 document generated from the route table's zod schemas (zod 4 emits JSON
// Schema 2020-12, which is what OpenAPI 3.1 uses).

import { z } from 'zod';
import type { ApiRoute } from './routes/route.js';
import { errorSchema } from './schemas.js';

type JsonSchema = Record<string, unknown>;

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** Query/path parameters from an object schema, or from each branch of a union of objects. */
function parameters(schema: z.ZodType | undefined, where: 'query' | 'path'): JsonSchema[] {
  if (!schema) return [];
  const json = toSchema(schema, 'input');
  const branches = (json.anyOf ?? json.oneOf ?? [json]) as JsonSchema[];
  const seen = new Map<string, JsonSchema>();
  for (const branch of branches) {
    const props = (branch.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((branch.required ?? []) as string[]);
    for (const [name, prop] of Object.entries(props)) {
      if (seen.has(name)) continue;
      seen.set(name, {
        name,
        in: where,
        required: where === 'path' || (branches.length === 1 && required.has(name)),
        schema: prop,
      });
    }
  }
  return [...seen.values()];
}

export function buildOpenApiDocument(routes: ApiRoute[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const errorResponse = {
    description: 'Error',
    content: { 'application/json': { schema: toSchema(errorSchema, 'output') } },
  };
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const status = String(r.status ?? 200);
    const successContent = r.streaming
      ? {
          'text/event-stream': {
            schema: {
              type: 'string',
              description: 'SSE: id: <seq>, event: put|delete, data: RequestEvent JSON',
            },
            'x-event-data': r.response ? toSchema(r.response, 'output') : {},
          },
        }
      : r.response
        ? { 'application/json': { schema: toSchema(r.response, 'output') } }
        : undefined;
    const operation: JsonSchema = {
      summary: r.summary,
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/\/(\w)/g, (_m, c: string) => c.toUpperCase())}`,
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      responses: {
        [status]: {
          description: 'Success',
          ...(successContent && status !== '204' ? { content: successContent } : {}),
        },
        default: errorResponse,
      },
      ...(r.auth ? { security: [{ bearerAuth: [] }] } : { security: [] }),
    };
    if (r.body) {
      const schema = toSchema(r.body, 'input');
      const content: JsonSchema = { 'application/json': { schema } };
      for (const type of r.bodyContentTypes ?? []) content[type] = { schema: { type: 'string' } };
      operation.requestBody = { required: true, content };
    }
    paths[path] ??= {};
    (paths[path] as Record<string, JsonSchema>)[r.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'accessbot access API', version },
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'abt_…' } },
    },
    paths,
  };
}
