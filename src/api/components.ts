// The named shapes of the HTTP API's answers (OpenAPI `components.schemas`). Routes declare
// their responses with these, and the OpenAPI document is generated from the same objects, so
// a shape is written once. Responses are strict (no undeclared fields): the contract test
// validates every answer of a running server against the served document.

import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../errors.js';

/** Schemas registered here become `#/components/schemas/<id>` wherever a route uses them. */
export const apiComponents = z.registry<{ id: string; description?: string }>();

function named<T extends z.ZodType>(id: string, description: string, schema: T): T {
  apiComponents.add(schema, { id, description });
  return schema;
}

const annotations = z.record(z.string(), z.array(z.string()));
const timestamp = z.string().describe('RFC 3339 date-time');

export const requestStateSchema = named(
  'RequestState',
  'The state of an access request',
  z.enum(['PENDING', 'APPROVED', 'DENIED', 'EXPIRED']),
);
export const proposedStateSchema = named(
  'ProposedState',
  'What a review proposes',
  z.enum(['APPROVED', 'DENIED']),
);

/** Every code of the one registry in src/errors.ts: a code added there is documented at once. */
export const errorCodeSchema = named(
  'ErrorCode',
  'Stable error code; clients branch on it, never on the message',
  z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
);

export const errorSchema = named(
  'Error',
  'The one error shape of the API',
  z.object({
    error: z.object({
      code: errorCodeSchema,
      message: z.string().describe('For people; may change between versions'),
      details: z.unknown().optional().describe('Structured detail for some codes (e.g. validation issues)'),
    }),
  }),
);

export const thresholdSchema = named(
  'Threshold',
  'Approvals and denials needed from reviewers matching `filter`',
  z.object({
    name: z.string().optional(),
    approve: z.number().int().optional().describe('Approvals needed (default 1)'),
    deny: z.number().int().optional().describe('Denials needed (default 1)'),
    filter: z.string().optional().describe('Predicate over the reviewer'),
  }),
);

export const reviewSchema = named(
  'Review',
  'One reviewer’s decision on a request',
  z.object({
    author: z.string().describe('The access user whose review this is'),
    submittedBy: z.string().describe('Who handed it to the API: the author, or a plugin acting for them'),
    proposedState: proposedStateSchema,
    reason: z.string(),
    roles: z.array(z.string()).describe('Approve only: the requested roles approved; empty = all'),
    annotations,
    created: timestamp,
    thresholdIndexes: z
      .array(z.number().int())
      .optional()
      .describe('Indexes into the request’s `thresholds` this review counts toward'),
  }),
);

export const accessRequestSchema = named(
  'AccessRequest',
  'An access request with its reviews',
  z.object({
    id: z.uuid(),
    user: z.string(),
    roles: z.array(z.string()),
    resources: z.array(z.string()),
    reason: z.string(),
    suggestedReviewers: z.array(z.string()),
    annotations,
    thresholds: z.array(thresholdSchema),
    roleThresholds: z.record(z.string(), z.array(z.number().int())),
    state: requestStateSchema,
    reviews: z.array(reviewSchema),
    created: timestamp,
    requestExpires: timestamp,
    accessExpires: timestamp,
    approvedRoles: z.array(z.string()),
    resolvedAt: timestamp.optional(),
    resolvedBy: z.string().optional(),
    resolveReason: z.string().optional(),
    resolveAnnotations: annotations.optional(),
    version: z.number().int().describe('Bumped on every change'),
  }),
);

export const requestWarningSchema = named(
  'RequestWarning',
  'Something the request was taken with that will not work as meant (it was created all the same)',
  z.object({
    code: z.enum(['UNKNOWN_REVIEWER', 'REVIEWER_WITHOUT_EMAIL']),
    message: z.string(),
    reviewer: z.string().optional(),
  }),
);

export const createdRequestSchema = named(
  'CreatedRequest',
  'The request just created, and warnings about what it was taken with',
  accessRequestSchema.extend({ warnings: z.array(requestWarningSchema).optional() }),
);

export const requestPageSchema = named(
  'RequestPage',
  'One page of requests, oldest first',
  z.object({
    requests: z.array(accessRequestSchema),
    next: z.string().optional().describe('Cursor for the next page (`after`); absent on the last page'),
  }),
);

export const requestEventSchema = named(
  'RequestEvent',
  'One change of a request, as the event log keeps it',
  z.object({
    seq: z.number().int().describe('Position in the event log; only grows'),
    type: z.enum(['put', 'delete']),
    /** The request after the change (for delete, as it was). */
    request: accessRequestSchema,
    at: timestamp,
  }),
);

export const userSchema = named(
  'User',
  'An access user',
  z.object({
    name: z.string(),
    email: z.string().optional(),
    roles: z.array(z.string()),
    traits: z.record(z.string(), z.array(z.string())),
    createdAt: timestamp,
  }),
);

export const roleSchema = named(
  'Role',
  'A role document (kind: role), as applied',
  z
    .object({
      kind: z.literal('role'),
      version: z.string().optional(),
      metadata: z.object({ name: z.string() }).loose(),
      spec: z.record(z.string(), z.unknown()),
    })
    .loose(),
);

const nextCursor = z
  .string()
  .optional()
  .describe('Cursor for the next page (`after`); absent on the last page');

export const userPageSchema = named(
  'UserPage',
  'One page of users, by name',
  z.object({ users: z.array(userSchema), next: nextCursor }),
);

export const rolePageSchema = named(
  'RolePage',
  'One page of roles, by name',
  z.object({ roles: z.array(roleSchema), next: nextCursor }),
);

export const whoamiSchema = named(
  'WhoAmI',
  'The caller, what they may request and whether a reason is required',
  z.object({
    user: userSchema,
    requestableRoles: z.array(z.string()),
    requestPrompt: z.string().optional(),
    reasonRequired: z.boolean(),
  }),
);

export const issuedTokenSchema = named(
  'IssuedToken',
  'A bearer token, shown once',
  z.object({ token: z.string(), user: z.string(), expires: timestamp.optional() }),
);

export const latestSeqSchema = named(
  'LatestSeq',
  'The last sequence number of the event log (0 when empty)',
  z.object({ seq: z.number().int() }),
);

export const healthSchema = named('Health', 'The process answers', z.object({ ok: z.literal(true) }));

export const readinessSchema = named(
  'Readiness',
  'The store answers; `seq` is the last event',
  z.object({ ok: z.literal(true), seq: z.number().int() }),
);

export const openApiDocumentSchema = named(
  'OpenApiDocument',
  'An OpenAPI 3.1 document',
  z.object({ openapi: z.string(), info: z.object({}).loose(), paths: z.object({}).loose() }).loose(),
);

/**
 * One message of the watch stream as a client sees it after SSE parsing: `id` is the event's
 * seq (send it back as Last-Event-ID), `event` its type, `data` the RequestEvent as JSON.
 */
export const watchMessageSchema = named(
  'WatchMessage',
  'One server-sent event of GET /v1/watch (`id:`, `event:`, `data:` lines; data is JSON)',
  z.union([
    z.object({
      id: z.string().regex(/^\d+$/).describe('The event’s seq; resume with Last-Event-ID: <id>'),
      event: z.enum(['put', 'delete']),
      data: requestEventSchema,
    }),
    z
      .object({ event: z.literal('error'), data: errorSchema })
      .describe(
        'The last message of a stream the API ends: its token expired or was revoked, its user was deleted or lost the right to watch (reconnecting gets the 401/403), or its reader took nothing for too long (`WATCH_READER_TOO_SLOW`: reconnect with Last-Event-ID to resume). No id: it is not an event of the log',
      ),
  ]),
);
