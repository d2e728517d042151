// Role documents: YAML in, validated `Role` out. Every problem in every document is reported
// at once (path + message) so an operator fixes a roles file in one pass. Keys this model does
// not use (db_labels, logins, kubernetes_resources, …) are kept untouched for other consumers.

import { isDocument, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { AccessbotError } from '../errors.js';
import { parseDuration } from './duration.js';
import { parseTemplate } from './interpolate.js';
import { matcherProblem } from './matcher.js';
import { filterProblem } from './threshold-filter.js';
import type { Role } from './types.js';
import { describeChar, forbiddenIdentifierChar } from './visible-text.js';

export interface RoleProblem {
  /** Position of the document in a multi-document file (0-based), when parsing a file. */
  document?: number;
  path: string;
  message: string;
}

/** Aliases one document may expand: enough for real roles files, far from an alias bomb. */
const MAX_YAML_ALIASES = 100;

const SUPPORTED_VERSIONS = ['v3', 'v4', 'v5', 'v6', 'v7', 'v8'] as const;

// Teleport accepts a single string wherever a list of strings is expected.
const stringList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (typeof v === 'string' ? [v] : v));

const matcherList = stringList.superRefine((patterns, ctx) => {
  patterns.forEach((pattern, index) => {
    const problem = matcherProblem(pattern);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [index] });
  });
});

const claimMapping = z.object({
  claim: z.string().min(1),
  value: z.string().superRefine((value, ctx) => {
    const problem = matcherProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  roles: matcherList,
});

const threshold = z.looseObject({
  name: z.string().optional(),
  approve: z.int().min(1, 'approve must be at least 1').optional(),
  deny: z.int().min(1, 'deny must be at least 1').optional(),
  filter: z
    .string()
    .superRefine((filter, ctx) => {
      const problem = filter.trim() === '' ? undefined : filterProblem(filter);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
});

const annotationValues = stringList.superRefine((values, ctx) => {
  values.forEach((value, index) => {
    try {
      parseTemplate(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, path: [index] });
    }
  });
});

const kubernetesResourceRule = z.looseObject({
  kind: z.string().min(1),
  api_group: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
});

const requestConditions = z.looseObject({
  roles: matcherList.optional(),
  claims_to_roles: z.array(claimMapping).optional(),
  annotations: z.record(z.string(), annotationValues).optional(),
  thresholds: z.array(threshold).optional(),
  suggested_reviewers: stringList.optional(),
  search_as_roles: stringList.optional(),
  kubernetes_resources: z.array(kubernetesResourceRule).optional(),
});

const reviewConditions = z.looseObject({
  roles: matcherList.optional(),
  claims_to_roles: z.array(claimMapping).optional(),
});

const rule = z.looseObject({
  resources: stringList,
  verbs: stringList,
});

const conditions = z.looseObject({
  request: requestConditions.optional(),
  review_requests: reviewConditions.optional(),
  rules: z.array(rule).optional(),
});

const options = z.looseObject({
  request_access: z
    .enum(['optional', 'reason', 'always'], {
      error: 'request_access must be one of optional, reason, always',
    })
    .optional(),
  request_prompt: z.string().optional(),
  max_session_ttl: z
    .string()
    .superRefine((text, ctx) => {
      try {
        if (parseDuration(text) <= 0)
          ctx.addIssue({ code: 'custom', message: 'max_session_ttl must be positive' });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    })
    .optional(),
});

const roleSchema = z.looseObject(
  {
    kind: z.literal('role', { error: 'kind must be "role"' }),
    version: z
      .enum(SUPPORTED_VERSIONS, { error: `version must be one of ${SUPPORTED_VERSIONS.join(', ')}` })
      .optional(),
    metadata: z.looseObject(
      {
        name: z
          .string({ error: 'metadata.name is required' })
          .regex(/^[^\s/,]+$/, 'metadata.name must be non-empty, without spaces, "/" or ","')
          .max(253, 'metadata.name must be at most 253 characters')
          .superRefine((value, ctx) => {
            const bad = forbiddenIdentifierChar(value);
            if (bad !== undefined)
              ctx.addIssue({
                code: 'custom',
                message: `metadata.name contains ${describeChar(bad)}: control, bidirectional and invisible characters are not allowed`,
              });
          }),
        description: z.string().optional(),
        labels: z.record(z.string(), z.string()).optional(),
      },
      { error: 'metadata with a name is required' },
    ),
    spec: z
      .looseObject({
        allow: conditions.nullish().transform((v) => v ?? undefined),
        deny: conditions.nullish().transform((v) => v ?? undefined),
        options: options.nullish().transform((v) => v ?? undefined),
      })
      .prefault({}),
  },
  { error: 'a role document must be a YAML mapping (kind, metadata, spec)' },
);

/** Problems of one document, or the Role. Never throws for bad input. */
export function checkRole(doc: unknown): { role: Role; problems: [] } | { problems: RoleProblem[] } {
  const result = roleSchema.safeParse(doc);
  if (result.success) return { role: result.data as unknown as Role, problems: [] };
  return {
    problems: result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(document)',
      message: issue.message,
    })),
  };
}

export function validateRole(doc: unknown): Role {
  const checked = checkRole(doc);
  if ('role' in checked) return checked.role;
  throw invalidRole(roleName(doc), checked.problems);
}

export function parseRolesYaml(text: string): Role[] {
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [documents];
  const roles: Role[] = [];
  const problems: RoleProblem[] = [];
  const seen = new Map<string, number>();
  list.forEach((document, index) => {
    if (!isDocument(document)) return;
    const error = document.errors[0];
    if (error) {
      const line = error.linePos?.[0];
      const where = line ? ` at line ${line.line}, column ${line.col}` : '';
      throw new AccessbotError('INVALID_YAML', `malformed YAML${where}: ${firstLine(error.message)}`, {
        document: index,
        line: line?.line,
        column: line?.col,
      });
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (err) {
      // The yaml package refuses alias expansion past the count (a "billion laughs" document).
      throw new AccessbotError('INVALID_YAML', `document ${index}: ${firstLine((err as Error).message)}`, {
        document: index,
      });
    }
    if (value === null || value === undefined) return; // empty document, e.g. a leading `---`
    const checked = checkRole(value);
    if (!('role' in checked)) {
      for (const problem of checked.problems) problems.push({ document: index, ...problem });
      return;
    }
    const name = checked.role.metadata.name;
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      problems.push({
        document: index,
        path: 'metadata.name',
        message: `role "${name}" is already defined in document ${earlier}`,
      });
      return;
    }
    seen.set(name, index);
    roles.push(checked.role);
  });
  if (problems.length > 0) throw invalidRole(undefined, problems);
  return roles;
}

function invalidRole(name: string | undefined, problems: RoleProblem[]): AccessbotError {
  const subject = name ? `role "${name}"` : 'roles';
  const summary = problems
    .map((p) => `${p.document === undefined ? '' : `document ${p.document}: `}${p.path}: ${p.message}`)
    .join('; ');
  return new AccessbotError('INVALID_ROLE', `invalid ${subject}: ${summary}`, problems);
}

function roleName(doc: unknown): string | undefined {
  const metadata = (doc as { metadata?: { name?: unknown } } | null)?.metadata;
  return typeof metadata?.name === 'string' ? metadata.name : undefined;
}

// The yaml package appends its own position and a code excerpt; we give the position once.
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
