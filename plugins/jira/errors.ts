// Turns whatever jira.js throws into a PluginError with retry meaning. jira.js keeps the HTTP
// status on HttpException but drops the headers; the axios error it wraps (`cause`) has them,
// which is where Retry-After comes from. The original error is not kept as `cause`: it holds the
// request config with the Authorization header, and a logged cause chain would leak it.

import { errorFromHttpStatus, PluginError, transient } from '../../src/plugin-sdk/index.js';

interface JiraErrorBody {
  errorMessages?: unknown;
  errors?: unknown;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { status?: unknown; response?: { status?: unknown } } | null;
  if (typeof e?.status === 'number') return e.status;
  if (typeof e?.response?.status === 'number') return e.response.status;
  return undefined;
}

function retryAfterOf(err: unknown): string | undefined {
  const cause = (err as { cause?: { response?: { headers?: Record<string, unknown> } } } | null)?.cause;
  const value = cause?.response?.headers?.['retry-after'];
  return typeof value === 'string' ? value : undefined;
}

/** Jira's own words: `errorMessages` plus `errors` by field. Never includes credentials. */
function jiraMessageOf(err: unknown): string {
  const data = (err as { response?: { data?: JiraErrorBody } } | null)?.response?.data;
  const parts: string[] = [];
  if (Array.isArray(data?.errorMessages)) parts.push(...data.errorMessages.map(String));
  if (data?.errors && typeof data.errors === 'object')
    for (const [field, text] of Object.entries(data.errors)) parts.push(`${field}: ${String(text)}`);
  return parts.join('; ');
}

export function toPluginError(err: unknown, doing: string): PluginError {
  if (err instanceof PluginError) return err;
  const status = statusOf(err);
  if (status === undefined) {
    const code = (err as { code?: unknown } | null)?.code;
    return transient(`jira: ${doing} failed: ${typeof code === 'string' ? code : (err as Error)?.message}`);
  }
  const detail = jiraMessageOf(err);
  const pe = errorFromHttpStatus(
    status,
    `jira: ${doing} failed (HTTP ${status})${detail ? `: ${detail}` : ''}`,
    retryAfterOf(err),
  );
  return pe;
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}
