import { z } from 'zod';
import {
  issuedTokenSchema,
  rolePageSchema,
  roleSchema,
  userPageSchema,
  userSchema,
  whoamiSchema,
} from '../components.js';
import type { DirectoryService, NamePage } from '../directory-service.js';
import { decodeNameCursor, encodeNameCursor, type NamedList } from '../name-cursor.js';
import {
  issueTokenBody,
  listByNameQuery,
  lookupUserQuery,
  nameParams,
  REQUEST_PAGE_DEFAULT,
  userBody,
} from '../schemas.js';
import { type ApiRoute, route, WRITE_ERRORS } from './route.js';

/** JSON: an array of role objects (or one); YAML: the text of one or more documents. */
const applyRolesBody = z.union([z.array(z.looseObject({})).max(1000), z.looseObject({})]);
const rolesYamlText = z.string().describe('One or more YAML role documents (--- between them)');

function namePage(list: NamedList, query: { limit?: string; after?: string }): NamePage {
  return {
    after: query.after === undefined ? '' : decodeNameCursor(list, query.after),
    limit: query.limit === undefined ? REQUEST_PAGE_DEFAULT : Number(query.limit),
  };
}

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
      errors: ['INVALID_CURSOR', 'FORBIDDEN', 'INTERNAL'],
      summary: `One page of users by name (\`limit\`, default ${REQUEST_PAGE_DEFAULT}); follow \`next\` for the rest`,
      auth: true,
      query: listByNameQuery,
      response: userPageSchema,
      handler: async ({ caller, query }) => {
        const page = await directory.listUsersPage(caller, namePage('users', query));
        const last = page.users.at(-1);
        return {
          users: page.users,
          ...(page.more && last ? { next: encodeNameCursor('users', last.name) } : {}),
        };
      },
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
      errors: ['INVALID_CURSOR', 'FORBIDDEN', 'INTERNAL'],
      summary: `One page of roles by name (\`limit\`, default ${REQUEST_PAGE_DEFAULT}); follow \`next\` for the rest`,
      auth: true,
      query: listByNameQuery,
      response: rolePageSchema,
      handler: async ({ caller, query }) => {
        const page = await directory.listRolesPage(caller, namePage('roles', query));
        const last = page.roles.at(-1);
        return {
          roles: page.roles,
          ...(page.more && last ? { next: encodeNameCursor('roles', last.metadata.name) } : {}),
        };
      },
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
