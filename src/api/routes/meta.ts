import { AccessbotError } from '../../errors.js';
import type { Store } from '../../store/types.js';
import { healthSchema, openApiDocumentSchema, readinessSchema } from '../components.js';
import { type ApiRoute, route } from './route.js';

/** Health, readiness and the OpenAPI document: no auth, nothing secret. */
export function metaRoutes(store: Store, openapi: () => unknown): ApiRoute[] {
  return [
    route({
      method: 'GET',
      url: '/healthz',
      operationId: 'health',
      summary: 'Liveness: the process answers',
      auth: false,
      response: healthSchema,
      errors: [],
      handler: async () => ({ ok: true }),
    }),
    route({
      method: 'GET',
      url: '/readyz',
      operationId: 'ready',
      summary:
        'Readiness: the store answers and can be written (503 STORE_UNAVAILABLE or 507 STORAGE_FULL when not)',
      auth: false,
      response: readinessSchema,
      errors: ['STORE_UNAVAILABLE', 'STORAGE_FULL'],
      handler: async () => {
        let seq: number;
        try {
          seq = await store.latestSeq();
        } catch {
          // The store's own message stays in the server (internal detail, not for callers).
          throw new AccessbotError('STORE_UNAVAILABLE', 'the store does not answer');
        }
        // The last write failed (full disk, read-only or locked file) and a probe write still
        // does: not ready. The code says which; the path and cause were logged with the failed write.
        const problem = await store.writeProblem();
        if (problem) throw new AccessbotError(problem.code, readinessMessage(problem.code));
        return { ok: true, seq };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/openapi.json',
      operationId: 'openapi',
      summary: 'This API as an OpenAPI 3.1 document',
      auth: false,
      response: openApiDocumentSchema,
      errors: [],
      handler: async () => openapi(),
    }),
  ];
}

function readinessMessage(code: string): string {
  return code === 'STORAGE_FULL' ? 'the disk holding the store is full' : 'the store cannot be written';
}
