// The hand-written client's types equal the types openapi-typescript generates from the
// served document (src/client/openapi-types.ts, kept current by openapi-types.test.ts). The
// assertions are checked by the type checker (`tsc --noEmit`, part of the test run): a field
// added to, dropped from or retyped in either side fails the build.

import { expectTypeOf, it } from 'vitest';
import type { AccessRequest, RequestEvent, Review, Role, Threshold, User } from '../../src/access/types.js';
import type { components, operations } from '../../src/client/openapi-types.js';
import type {
  CreatedRequest,
  CreateRequestInput,
  IssuedToken,
  RequestPage,
  RequestWarning,
  ResolveInput,
  ReviewInput,
  UserInput,
  WhoAmI,
} from '../../src/client/types.js';
import type { AccessbotError, ErrorCode } from '../../src/errors.js';

type Schemas = components['schemas'];
/** An interface as a type literal (an interface is never assignable to an index signature). */
type Plain<T> = { [K in keyof T]: T[K] };
type JsonBody<Op extends keyof operations> = operations[Op] extends {
  requestBody: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;
type Answer<Op extends keyof operations, Status extends number> =
  operations[Op]['responses'] extends Record<Status, { content: { 'application/json': infer Body } }>
    ? Body
    : never;

it('answers: the model and client types are the documented schemas', () => {
  expectTypeOf<Schemas['AccessRequest']>().toEqualTypeOf<AccessRequest>();
  expectTypeOf<Schemas['Review']>().toEqualTypeOf<Review>();
  expectTypeOf<Schemas['Threshold']>().toEqualTypeOf<Threshold>();
  expectTypeOf<Schemas['RequestEvent']>().toEqualTypeOf<RequestEvent>();
  expectTypeOf<Schemas['User']>().toEqualTypeOf<User>();
  expectTypeOf<Schemas['WhoAmI']>().toEqualTypeOf<WhoAmI>();
  expectTypeOf<Schemas['IssuedToken']>().toEqualTypeOf<IssuedToken>();
  expectTypeOf<Schemas['RequestPage']>().toEqualTypeOf<RequestPage>();
  expectTypeOf<Schemas['RequestWarning']>().toEqualTypeOf<Plain<RequestWarning>>();
  // The document describes any role document; every Role the model knows is one.
  expectTypeOf<Plain<Role>>().toExtend<Schemas['Role']>();
});

it('errors: the documented error is the one AccessbotError sends, its code the registry', () => {
  expectTypeOf<Schemas['ErrorCode']>().toEqualTypeOf<ErrorCode>();
  expectTypeOf<Schemas['Error']>().toEqualTypeOf<ReturnType<AccessbotError['toJSON']>>();
});

it('operations: the client sends the documented bodies and reads the documented answers', () => {
  expectTypeOf<JsonBody<'createRequest'>>().toEqualTypeOf<CreateRequestInput>();
  expectTypeOf<JsonBody<'reviewRequest'>>().toEqualTypeOf<ReviewInput>();
  expectTypeOf<JsonBody<'resolveRequest'>>().toEqualTypeOf<ResolveInput>();
  expectTypeOf<JsonBody<'upsertUser'>>().toEqualTypeOf<UserInput>();
  expectTypeOf<JsonBody<'issueToken'>>().toEqualTypeOf<{ ttl?: string; description?: string }>();
  expectTypeOf<Answer<'createRequest', 201>>().toEqualTypeOf<CreatedRequest>();
  expectTypeOf<Answer<'listRequests', 200>>().toEqualTypeOf<RequestPage>();
  expectTypeOf<Answer<'lookupUser', 200>>().toEqualTypeOf<User>();
  expectTypeOf<Answer<'latestSeq', 200>>().toEqualTypeOf<{ seq: number }>();
  expectTypeOf<operations['lookupUser']['parameters']['query']['identity']>().toEqualTypeOf<
    { email: string } | { trait: string; value: string }
  >();
});
