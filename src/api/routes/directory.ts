import { z } from 'zod';
import type { DirectoryService } from '../directory-service.js';
import {
  issueTokenBody,
  lookupUserQuery,
  nameParams,
  roleSchemaDoc,
  userBody,
  userSchema,
  whoamiSchema,
} from '../schemas.js';
import { type ApiRoute, route } from './route.js';

const issuedTokenSchema = z.object({ token: z.string(), user: z.string(), expires: z.string().optional() });
/** JSON: an array of role objects (or one); YAML: the text of one or more documents. */
const applyRolesBody = z.union([z.string(), z.array(z.unknown()), z.looseObject({})]);

export function directoryRoutes(directory: DirectoryService): ApiRoute[] {
  return [
    route({
      method: 'GET',
      url: '/v1/whoami',
      summary: 'The caller, the roles they may request and whether a reason is required',
      auth: true,
      response: whoamiSchema,
      handler: ({ caller }) => directory.whoami(caller),
    }),
    route({
      method: 'GET',
      url: '/v1/users',
      summary: 'List users',
      auth: true,
      response: z.array(userSchema),
      handler: ({ caller }) => directory.listUsers(caller),
    }),
    route({
      method: 'POST',
      url: '/v1/users',
      summary: 'Create or update a user (every role must exist)',
      auth: true,
      body: userBody,
      response: userSchema,
      handler: ({ caller, body }) => directory.upsertUser(caller, body),
    }),
    route({
      method: 'GET',
      url: '/v1/users/lookup',
      summary: 'Find the user behind a platform identity, by email (case-insensitive) or trait value',
      auth: true,
      query: lookupUserQuery,
      response: userSchema,
      handler: ({ caller, query }) => directory.lookupUser(caller, query),
    }),
    route({
      method: 'GET',
      url: '/v1/users/:name',
      summary: 'Show a user',
      auth: true,
      params: nameParams,
      response: userSchema,
      handler: ({ caller, params }) => directory.getUser(caller, params.name as string),
    }),
    route({
      method: 'DELETE',
      url: '/v1/users/:name',
      summary: 'Delete a user and their tokens',
      auth: true,
      params: nameParams,
      status: 204,
      handler: ({ caller, params }) => directory.deleteUser(caller, params.name as string),
    }),
    route({
      method: 'POST',
      url: '/v1/users/:name/tokens',
      summary: 'Issue a bearer token for a user (shown once)',
      auth: true,
      params: nameParams,
      body: issueTokenBody,
      response: issuedTokenSchema,
      status: 201,
      handler: ({ caller, params, body }) => directory.issueToken(caller, params.name as string, body),
    }),
    route({
      method: 'GET',
      url: '/v1/roles',
      summary: 'List roles',
      auth: true,
      response: z.array(roleSchemaDoc),
      handler: ({ caller }) => directory.listRoles(caller),
    }),
    route({
      method: 'POST',
      url: '/v1/roles',
      summary: 'Apply roles: all documents are validated first, and none is written if any is bad',
      auth: true,
      body: applyRolesBody,
      bodyContentTypes: ['application/yaml'],
      response: z.array(roleSchemaDoc),
      handler: ({ caller, body }) =>
        directory.applyRoles(caller, typeof body === 'string' || Array.isArray(body) ? body : [body]),
    }),
    route({
      method: 'DELETE',
      url: '/v1/roles/:name',
      summary: 'Delete a role no user holds',
      auth: true,
      params: nameParams,
      status: 204,
      handler: ({ caller, params }) => directory.deleteRole(caller, params.name as string),
    }),
  ];
}
