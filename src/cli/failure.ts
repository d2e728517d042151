// Every failure becomes one line on stderr, `error [CODE]: what is wrong (how to fix it)`,
// and an exit code from exit-codes.ts. The code is the stable one from src/errors.ts; the hint
// is chosen by code, never by matching message text.

import { AccessbotError, type ErrorCode } from '../errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { safeText } from './format/text.js';

const HINTS: Partial<Record<ErrorCode, string>> = {
  BAD_REQUEST: "see 'accessbot help <command>'",
  VALIDATION_FAILED: "see 'accessbot help <command>'",
  INVALID_YAML: 'fix the YAML at the line shown',
  INVALID_RESOURCE_ID: 'use /CLUSTER/KIND/NAME, e.g. /teleport.example.com/node/web-1',
  MIXED_ROLES_AND_RESOURCES: 'request either --roles or --resource, not both',
  EMPTY_REQUEST: 'pass --roles a,b or --resource ID',
  REASON_REQUIRED: 'add --reason "why you need it"',
  REASON_TOO_LONG: 'shorten --reason',
  INVALID_DURATION: 'use a duration like 30m, 2h or 1h30m',
  INVALID_ROLE: 'fix the role fields listed',
  INVALID_REVIEW_ROLES: 'approve a subset of the requested roles',
  UNAUTHENTICATED: 'pass --token or --token-file, or set ACCESSBOT_TOKEN',
  INVALID_TOKEN: "ask an administrator for a new token: 'accessbot users token <name>'",
  FORBIDDEN: 'ask an administrator for a role that allows this',
  ROLE_NOT_REQUESTABLE: 'request only roles your roles allow you to request',
  RESOURCE_NOT_REQUESTABLE: 'request only resources your roles allow you to request',
  REVIEW_NOT_ALLOWED: 'your roles do not allow reviewing this request',
  SELF_REVIEW: 'ask another reviewer',
  REVIEW_AS_NOT_ALLOWED: 'the token needs review_as on access_request',
  NOT_FOUND: 'check the name or id',
  REQUEST_NOT_FOUND: "list requests with 'accessbot request ls --all'",
  USER_NOT_FOUND: "list users with 'accessbot users ls'",
  ROLE_NOT_FOUND: "list roles with 'accessbot roles ls'",
  UNKNOWN_ROLE: "list roles with 'accessbot roles ls', or apply it with 'accessbot roles apply -f FILE'",
  ALREADY_REVIEWED: 'each reviewer reviews a request once',
  REQUEST_RESOLVED: "it is already decided; see 'accessbot request show <id>'",
  REQUEST_EXPIRED: 'create a new request',
  CONFLICT: 'retry the command',
  CONFIG_INVALID: "run 'accessbot config check' to see every problem",
  REDIS_UNAVAILABLE: 'set REDIS_URL, start redis on 127.0.0.1:6379, or install redis-server',
  API_UNAVAILABLE: "is the API running? start it with 'accessbot serve', or pass --api URL",
  PLUGIN_NOT_FOUND: 'check the plugins/ folder',
  REQUEST_TOO_LARGE: 'name fewer or shorter resources, or shorten the reason',
  TOO_MANY_FAILED_AUTH: 'wait a minute, then retry with a valid token',
  STORAGE_FULL: 'free disk space where the path lives, then retry',
  STORE_UNAVAILABLE:
    'check the database: SQLite, its file and folder (permissions, disk, other processes); PostgreSQL, that the server is up and api.store.url reaches it',
  FILE_ACCESS:
    'check that the folder exists and that accessbot may write it (owner, permissions, read-only mount)',
  INTERNAL: 'see the API server log',
};

export interface Failure {
  line: string;
  exitCode: ExitCode;
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

function connectionCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && cur && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Faults of a machine (a folder that cannot be written, a full disk), not of the input or the rules. */
const ENVIRONMENT_CODES = new Set<ErrorCode>(['FILE_ACCESS', 'STORAGE_FULL', 'STORE_UNAVAILABLE']);

function exitCodeFor(err: AccessbotError): ExitCode {
  if (err.code === 'API_UNAVAILABLE' || err.code === 'REDIS_UNAVAILABLE') return EXIT.UNREACHABLE;
  if (ENVIRONMENT_CODES.has(err.code)) return EXIT.ENVIRONMENT;
  if (err.status === 400 || err.code === 'CONFIG_INVALID' || err.code === 'PLUGIN_NOT_FOUND')
    return EXIT.INPUT;
  return EXIT.REFUSED;
}

/** One line, no newlines or control characters, whatever the message held. */
function oneLine(text: string): string {
  return safeText(text.replace(/\s*[\r\n]+\s*/g, '; ')).trim();
}

export function formatFailure(code: ErrorCode, message: string, hint?: string): string {
  const fix = hint ?? HINTS[code];
  return `error [${code}]: ${oneLine(message)}${fix ? ` (${fix})` : ''}`;
}

/** Config problems are listed in the line itself, so `serve` reports all of them at once. */
function withConfigIssues(err: AccessbotError): string {
  if (err.code !== 'CONFIG_INVALID' || !Array.isArray(err.details)) return err.message;
  const issues = (err.details as { path?: unknown; message?: unknown }[])
    .filter((i) => typeof i.path === 'string' && typeof i.message === 'string')
    .map((i) => `${i.path}: ${i.message}`);
  return issues.length > 0 ? `${err.message}: ${issues.join('; ')}` : err.message;
}

export function describeFailure(err: unknown, ctx: { apiUrl?: string } = {}): Failure {
  if (err instanceof AccessbotError) {
    return { line: formatFailure(err.code, withConfigIssues(err)), exitCode: exitCodeFor(err) };
  }
  const conn = connectionCode(err);
  if (conn) {
    const where = ctx.apiUrl ? ` at ${ctx.apiUrl}` : '';
    return {
      line: formatFailure('API_UNAVAILABLE', `cannot reach the API${where} (${conn})`),
      exitCode: EXIT.UNREACHABLE,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    line: formatFailure('INTERNAL', message, 'this is a bug in accessbot; please report it'),
    exitCode: EXIT.REFUSED,
  };
}
