import { z } from 'zod';
import { issuedTokenSchema, roleSchema, userSchema, whoamiSchema } from '../components.js';
import type { DirectoryService } from '../directory-service.js';
import { issueTokenBody, lookupUserQuery, nameParams, userBody } from '../schemas.js';
import { type ApiRoute, route, WRITE_ERRORS } from './route.js';

/** JSON: an array of role objects (or one); YAML: the text of one or more documents. */
const applyRolesBody = z.union([z.array(z.looseObject({})).max(1000), z.looseObject({})]);
const rolesYamlText = z.string().describe('One or more YAML role documents (--- between them)');

export function directoryRoutes(directory: DirectoryService): ApiRoute[] {
  return [
    route({
      method: 'GET',
      url: '/v1/whoami',
      operationId: 'whoami',
      errors: ['INTERNAL'],
      summary: 'The caller, the roles they may request and whether a reason is required',
      auth: true,
      response: whoamiSchema,
      handler: ({ caller }) => directory.whoami(caller),
    }),
    route({
      method: 'GET',
      url: '/v1/users',
      operationId: 'listUsers',
      errors: ['FORBIDDEN', 'INTERNAL'],
      summary: 'List users',
      auth: true,
      response: z.array(userSchema),
      handler: ({ caller }) => directory.listUsers(caller),
    }),
    route({
      method: 'POST',
      url: '/v1/users',
      operationId: 'upsertUser',
      errors: ['FORBIDDEN', 'UNKNOWN_ROLE', 'CONFLICT', ...WRITE_ERRORS, 'INTERNAL'],
      summary: 'Create or update a user (every role must exist)',
      auth: true,
      body: userBody,
      response: userSchema,
      handler: ({ caller, body }) => directory.upsertUser(caller, body),
    }),
    route({
      method: 'GET',
      url: '/v1/users/lookup',
      operationId: 'lookupUser',
      queryAlternativesName: 'identity',
      errors: ['FORBIDDEN', 'USER_NOT_FOUND', 'CONFLICT', 'INTERNAL'],
      summary: 'Find the user behind a platform identity, by email (case-insensitive) or trait value',
      auth: true,
      query: lookupUserQuery,
      response: userSchema,
      handler: ({ caller, query }) => directory.lookupUser(caller, query),
    }),
    route({
      method: 'GET',
      url: '/v1/users/:name',
      operationId: 'getUser',
      errors: ['FORBIDDEN', 'USER_NOT_FOUND', 'INTERNAL'],
      summary: 'Show a user',
      auth: true,
      params: nameParams,
      response: userSchema,
      handler: ({ caller, params }) => directory.getUser(caller, params.name as string),
    }),
    route({
      method: 'DELETE',
      url: '/v1/users/:name',
      operationId: 'deleteUser',
      errors: ['FORBIDDEN', 'USER_NOT_FOUND', ...WRITE_ERRORS, 'INTERNAL'],
      summary: 'Delete a user and their tokens',
      auth: true,
      params: nameParams,
      status: 204,
      handler: ({ caller, params }) => directory.deleteUser(caller, params.name as string),
    }),
    route({
      method: 'POST',
      url: '/v1/users/:name/tokens',
      operationId: 'issueToken',
      errors: ['FORBIDDEN', 'USER_NOT_FOUND', 'INVALID_DURATION', ...WRITE_ERRORS, 'INTERNAL'],
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
      operationId: 'listRoles',
      errors: ['FORBIDDEN', 'INTERNAL'],
      summary: 'List roles',
      auth: true,
      response: z.array(roleSchema),
      handler: ({ caller }) => directory.listRoles(caller),
    }),
    route({
      method: 'POST',
      url: '/v1/roles',
      operationId: 'applyRoles',
      errors: ['FORBIDDEN', 'INVALID_ROLE', 'INVALID_YAML', ...WRITE_ERRORS, 'INTERNAL'],
      summary: 'Apply roles: all documents are validated first, and none is written if any is bad',
      auth: true,
      body: applyRolesBody,
      bodyContentTypes: {
        'application/yaml': rolesYamlText,
        'application/x-yaml': rolesYamlText,
        'text/yaml': rolesYamlText,
      },
      response: z.array(roleSchema),
      handler: ({ caller, body }) =>
        directory.applyRoles(caller, typeof body === 'string' || Array.isArray(body) ? body : [body]),
    }),
    route({
      method: 'DELETE',
      url: '/v1/roles/:name',
      operationId: 'deleteRole',
      errors: ['FORBIDDEN', 'ROLE_NOT_FOUND', 'CONFLICT', ...WRITE_ERRORS, 'INTERNAL'],
      summary: 'Delete a role no user holds',
      auth: true,
      params: nameParams,
      status: 204,
      handler: ({ caller, params }) => directory.deleteRole(caller, params.name as string),
    }),
  ];
}
