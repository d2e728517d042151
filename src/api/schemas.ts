// Request shapes of the HTTP API (bodies, queries, path and header parameters), in zod. The
// same schemas validate what arrives and generate the OpenAPI document, so the two cannot
// drift apart. The shapes of answers are in components.ts.

import { z } from 'zod';
import { MAX_ITEM_BYTES, MAX_REQUESTED_ITEMS } from '../access/limits.js';
import { describeChar, forbiddenIdentifierChar } from '../access/visible-text.js';
import { AccessbotError } from '../errors.js';
import { DEFAULT_PAGE_REQUESTS, MAX_PAGE_REQUESTS } from './limits.js';

const name = z.string().min(1).max(253);
/** Keys people read and match on: no control, bidi or invisible characters. */
function refuseUnsafeKeys(record: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const key of Object.keys(record)) {
    const bad = forbiddenIdentifierChar(key);
    if (bad !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `key contains ${describeChar(bad)}: control, bidirectional and invisible characters are not allowed`,
      });
  }
}
const annotations = z.record(z.string().min(1).max(253), z.array(z.string().max(4096)).max(64));
const traits = z
  .record(z.string().min(1).max(253), z.array(z.string().max(1024)).max(256))
  .superRefine(refuseUnsafeKeys);
const duration = z.string().min(1).max(32);
const requestState = z.enum(['PENDING', 'APPROVED', 'DENIED', 'EXPIRED']);
const proposedState = z.enum(['APPROVED', 'DENIED']);

/** Bodies are capped by fastify's bodyLimit; reason length is the model's rule (REASON_TOO_LONG). */
export const createRequestBody = z
  .object({
    roles: z.array(name).max(MAX_REQUESTED_ITEMS).optional(),
    resources: z.array(z.string().min(1).max(MAX_ITEM_BYTES)).max(MAX_REQUESTED_ITEMS).optional(),
    reason: z.string().optional(),
    suggestedReviewers: z.array(name).max(64).optional(),
    requestTtl: duration.optional(),
  })
  .strict();

export const reviewBody = z
  .object({
    proposedState,
    reason: z.string().optional(),
    roles: z.array(name).max(256).optional(),
    annotations: annotations.optional(),
    author: name.optional(),
  })
  .strict();

export const resolveBody = z
  .object({
    state: proposedState,
    reason: z.string().optional(),
    roles: z.array(name).max(256).optional(),
    annotations: annotations.optional(),
  })
  .strict();

export const REQUEST_PAGE_MAX = MAX_PAGE_REQUESTS;
export const REQUEST_PAGE_DEFAULT = DEFAULT_PAGE_REQUESTS;

/** Every listing answers one page; `next` leads to the following one. */
export const listRequestsQuery = z
  .object({
    state: requestState.optional(),
    user: name.optional(),
    limit: z
      .string()
      .regex(/^(?:[1-9]\d{0,2}|1000)$/, `an integer from 1 to ${REQUEST_PAGE_MAX}`)
      .optional()
      .describe(`Page size, 1–${REQUEST_PAGE_MAX} (default ${REQUEST_PAGE_DEFAULT})`),
    after: z.string().min(1).max(64).optional().describe('`next` of the previous page'),
  })
  .strict();

/** Users and roles are paged by name; the cursor is the last name of the page, encoded. */
export const listByNameQuery = z
  .object({
    limit: z
      .string()
      .regex(/^(?:[1-9]\d{0,2}|1000)$/, `an integer from 1 to ${REQUEST_PAGE_MAX}`)
      .optional()
      .describe(`Page size, 1–${REQUEST_PAGE_MAX} (default ${REQUEST_PAGE_DEFAULT})`),
    after: z.string().min(1).max(400).optional().describe('`next` of the previous page'),
  })
  .strict();

export const userBody = z
  .object({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]*$/, 'letters, digits and . _ @ + - only'),
    email: z.email().optional(),
    roles: z.array(name).max(256),
    traits: traits.optional(),
    /** Accepted so a User read from the API can be sent back as is; the server keeps its own. */
    createdAt: z.string().optional(),
  })
  .strict();

/** A platform identity: an email alone, or a trait with its value (never both, never neither). */
export const lookupUserQuery = z.union([
  z.object({ email: z.string().min(1).max(320).describe('Email, case-insensitive') }).strict(),
  z
    .object({
      trait: z.string().min(1).max(253).describe('Trait name, e.g. slack_id'),
      value: z.string().max(1024).describe('The trait value to find'),
    })
    .strict(),
]);

export const issueTokenBody = z
  .object({
    ttl: duration.optional(),
    description: z.string().max(200).optional(),
  })
  .strict();

export const watchQuery = z
  .object({
    since: z
      .string()
      .regex(/^\d{1,15}$/, 'a non-negative integer sequence number')
      .optional()
      .describe('Resume after this sequence number (default 0: the whole log); Last-Event-ID wins'),
  })
  .strict();

/** Resuming the watch: `Last-Event-ID` (what EventSource sends) wins over `?since`. */
export const watchHeaders = z.object({
  'Last-Event-ID': z
    .string()
    .regex(/^\d{1,15}$/)
    .optional()
    .describe('The id of the last event received; the stream resumes after it'),
});

export const idParams = z.object({ id: z.uuid() });
export const nameParams = z.object({ name });

/** Parses with a zod schema; failures become VALIDATION_FAILED with every issue listed. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new AccessbotError(
    'VALIDATION_FAILED',
    `invalid ${what}: ${details.map((d) => `${d.path || '(root)'}: ${d.message}`).join('; ')}`,
    details,
  );
}
