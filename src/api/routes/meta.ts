import type { Store } from '../../store/types.js';
import { type ApiRoute, route } from './route.js';

/** Health, readiness and the OpenAPI document: no auth, nothing secret. */
export function metaRoutes(store: Store, openapi: () => unknown): ApiRoute[] {
  return [
    route({
      method: 'GET',
      url: '/healthz',
      summary: 'Liveness',
      auth: false,
      handler: async () => ({ ok: true }),
    }),
    route({
      method: 'GET',
      url: '/readyz',
      summary:
        'Readiness: the store answers and can be written (507 STORAGE_FULL or 503 STORE_UNAVAILABLE when not)',
      auth: false,
      handler: async () => {
        const seq = await store.latestSeq();
        const problem = await store.writeProblem();
        if (problem) throw problem;
        return { ok: true, seq };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/openapi.json',
      summary: 'This API as an OpenAPI 3.1 document',
      auth: false,
      handler: async () => openapi(),
    }),
  ];
}
