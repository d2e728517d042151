import { z } from 'zod';
import { decodeRequestCursor, encodeRequestCursor } from '../request-cursor.js';
import type { RequestService } from '../request-service.js';
import {
  accessRequestSchema,
  createRequestBody,
  idParams,
  listRequestsQuery,
  REQUEST_PAGE_DEFAULT,
  requestPageSchema,
  resolveBody,
  reviewBody,
} from '../schemas.js';
import { type ApiRoute, route } from './route.js';

export function requestRoutes(requests: RequestService): ApiRoute[] {
  return [
    route({
      method: 'POST',
      url: '/v1/requests',
      summary: 'Create an access request as the caller (roles or resources, never both)',
      auth: true,
      body: createRequestBody,
      response: accessRequestSchema,
      status: 201,
      handler: ({ caller, body }) => requests.create(caller, body),
    }),
    route({
      method: 'GET',
      url: '/v1/requests',
      summary:
        'List the requests the caller may see (own, reviewable, or all with list/read), oldest first; ' +
        'with `limit` or `after`, one page `{ requests, next? }`; a page also stops at 4 MiB of requests. ' +
        'Without either, the whole list as an array, or 413 LIST_TOO_LARGE when it would pass 4 MiB',
      auth: true,
      query: listRequestsQuery,
      response: z.union([z.array(accessRequestSchema), requestPageSchema]),
      handler: async ({ caller, query }) => {
        const { limit, after, ...filter } = query;
        if (limit === undefined && after === undefined) return requests.list(caller, filter);
        const page = await requests.listPage(caller, filter, {
          after: after === undefined ? 0 : decodeRequestCursor(after),
          limit: limit === undefined ? REQUEST_PAGE_DEFAULT : Number(limit),
        });
        return {
          requests: page.requests,
          ...(page.nextPosition === undefined ? {} : { next: encodeRequestCursor(page.nextPosition) }),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/requests/:id',
      summary: 'Show one request',
      auth: true,
      params: idParams,
      response: accessRequestSchema,
      handler: ({ caller, params }) => requests.get(caller, params.id as string),
    }),
    route({
      method: 'POST',
      url: '/v1/requests/:id/reviews',
      summary: 'Review a request (as the caller, or as `author` with review_as)',
      auth: true,
      params: idParams,
      body: reviewBody,
      response: accessRequestSchema,
      handler: ({ caller, params, body }) => requests.review(caller, params.id as string, body),
    }),
    route({
      method: 'POST',
      url: '/v1/requests/:id/resolve',
      summary: 'Approve or deny administratively (needs update on access_request)',
      auth: true,
      params: idParams,
      body: resolveBody,
      response: accessRequestSchema,
      handler: ({ caller, params, body }) => requests.resolve(caller, params.id as string, body),
    }),
    route({
      method: 'DELETE',
      url: '/v1/requests/:id',
      summary: 'Delete a request (needs delete on access_request)',
      auth: true,
      params: idParams,
      status: 204,
      handler: ({ caller, params }) => requests.remove(caller, params.id as string),
    }),
  ];
}
