import { accessRequestSchema, createdRequestSchema, requestPageSchema } from '../components.js';
import { decodeRequestCursor, encodeRequestCursor } from '../request-cursor.js';
import type { RequestService } from '../request-service.js';
import {
  createRequestBody,
  idParams,
  listRequestsQuery,
  REQUEST_PAGE_DEFAULT,
  resolveBody,
  reviewBody,
} from '../schemas.js';
import { type ApiRoute, route, WRITE_ERRORS } from './route.js';

export function requestRoutes(requests: RequestService): ApiRoute[] {
  return [
    route({
      method: 'POST',
      url: '/v1/requests',
      operationId: 'createRequest',
      errors: [
        'INVALID_RESOURCE_ID',
        'MIXED_ROLES_AND_RESOURCES',
        'EMPTY_REQUEST',
        'REASON_REQUIRED',
        'REASON_TOO_LONG',
        'INVALID_DURATION',
        'UNKNOWN_ROLE',
        'ROLE_NOT_REQUESTABLE',
        'RESOURCE_NOT_REQUESTABLE',
        'REQUEST_TOO_LARGE',
        ...WRITE_ERRORS,
        'INTERNAL',
      ],
      summary: 'Create an access request as the caller (roles or resources, never both)',
      auth: true,
      body: createRequestBody,
      response: createdRequestSchema,
      status: 201,
      handler: ({ caller, body }) => requests.create(caller, body),
    }),
    route({
      method: 'GET',
      url: '/v1/requests',
      operationId: 'listRequests',
      summary:
        'One page of the requests the caller may see (own, reviewable, or all with list/read), ' +
        'oldest first; a page stops at `limit` requests or at 4 MiB of them, whichever comes first; ' +
        'follow `next` for the rest',
      auth: true,
      query: listRequestsQuery,
      response: requestPageSchema,
      // A read writes nothing: a due request is shown EXPIRED and left to the sweeper.
      errors: ['INVALID_CURSOR', 'INTERNAL'],
      handler: async ({ caller, query }) => {
        const { limit, after, ...filter } = query;
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
      operationId: 'getRequest',
      summary: 'Show one request',
      errors: ['REQUEST_NOT_FOUND', 'INTERNAL'],
      auth: true,
      params: idParams,
      response: accessRequestSchema,
      handler: ({ caller, params }) => requests.get(caller, params.id as string),
    }),
    route({
      method: 'POST',
      url: '/v1/requests/:id/reviews',
      operationId: 'reviewRequest',
      errors: [
        'REQUEST_NOT_FOUND',
        'USER_NOT_FOUND',
        'REASON_TOO_LONG',
        'INVALID_REVIEW_ROLES',
        'REVIEW_NOT_ALLOWED',
        'SELF_REVIEW',
        'REVIEW_AS_NOT_ALLOWED',
        'ALREADY_REVIEWED',
        'REQUEST_RESOLVED',
        'REQUEST_EXPIRED',
        'REQUEST_TOO_LARGE',
        'CONFLICT',
        ...WRITE_ERRORS,
        'INTERNAL',
      ],
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
      operationId: 'resolveRequest',
      errors: [
        'FORBIDDEN',
        'REQUEST_NOT_FOUND',
        'REASON_TOO_LONG',
        'INVALID_REVIEW_ROLES',
        'REQUEST_RESOLVED',
        'REQUEST_EXPIRED',
        'REQUEST_TOO_LARGE',
        'CONFLICT',
        ...WRITE_ERRORS,
        'INTERNAL',
      ],
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
      operationId: 'deleteRequest',
      errors: ['FORBIDDEN', 'REQUEST_NOT_FOUND', ...WRITE_ERRORS, 'INTERNAL'],
      summary: 'Delete a request (needs delete on access_request)',
      auth: true,
      params: idParams,
      status: 204,
      handler: ({ caller, params }) => requests.remove(caller, params.id as string),
    }),
  ];
}
