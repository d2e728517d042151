// Role-name matchers, as Teleport writes them in request/review conditions:
//   literal            `dba`
//   glob               `dev-*`, `*`
//   anchored regex     `^prod.*$`
//   embedded function  `dev-{{regexp.match("us-*")}}`, `dev-{{regexp.not_match("beta")}}-prod`
// The argument of an embedded function is itself a glob or an anchored regex. Literal text
// around the function must match exactly; the function judges what lies between.

import { AccessbotError } from '../errors.js';

export interface Matcher {
  readonly pattern: string;
  match(value: string): boolean;
}

/** Thrown (as INVALID_ROLE by callers that know the role) when a pattern cannot compile. */
export class MatcherSyntaxError extends Error {
  constructor(
    readonly pattern: string,
    why: string,
  ) {
    super(`invalid matcher "${pattern}": ${why}`);
    this.name = 'MatcherSyntaxError';
  }
}

const FUNCTION_CALL = /\{\{\s*regexp\.(match|not_match)\(\s*"((?:[^"\\]|\\.)*)"\s*\)\s*\}\}/;

// Patterns repeat across roles and requests: compile each string once per process.
const cache = new Map<string, Matcher>();
const CACHE_LIMIT = 10_000;

export function compileMatcher(pattern: string): Matcher {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const matcher = build(pattern);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, matcher);
  return matcher;
}

/** True when any pattern matches; a bad pattern throws MatcherSyntaxError. */
export function matchesAny(patterns: readonly string[] | undefined, value: string): boolean {
  if (!patterns) return false;
  return patterns.some((pattern) => compileMatcher(pattern).match(value));
}

/** Check a pattern without using it: returns the problem, or undefined when it compiles. */
export function matcherProblem(pattern: string): string | undefined {
  try {
    compileMatcher(pattern);
    return undefined;
  } catch (err) {
    if (err instanceof MatcherSyntaxError) return err.message;
    throw err;
  }
}

/** Convert a syntax error into the model's INVALID_ROLE, naming where the pattern came from. */
export function asInvalidRole(err: unknown, where: string): unknown {
  if (err instanceof MatcherSyntaxError) {
    return new AccessbotError('INVALID_ROLE', `${where}: ${err.message}`, [
      { path: where, message: err.message },
    ]);
  }
  return err;
}

function build(pattern: string): Matcher {
  if (pattern.includes('{{') || pattern.includes('}}')) return buildWithFunction(pattern);
  const regex = globOrRegex(pattern, pattern);
  return { pattern, match: (value) => regex.test(value) };
}

function buildWithFunction(pattern: string): Matcher {
  const call = FUNCTION_CALL.exec(pattern);
  if (!call) {
    throw new MatcherSyntaxError(pattern, 'expected {{regexp.match("…")}} or {{regexp.not_match("…")}}');
  }
  const prefix = pattern.slice(0, call.index);
  const suffix = pattern.slice(call.index + call[0].length);
  if (prefix.includes('{{') || suffix.includes('{{') || prefix.includes('}}') || suffix.includes('}}')) {
    throw new MatcherSyntaxError(pattern, 'only one {{…}} expression is allowed');
  }
  const negate = call[1] === 'not_match';
  const inner = globOrRegex(call[2]!.replace(/\\(.)/g, '$1'), pattern);
  return {
    pattern,
    match(value) {
      if (value.length < prefix.length + suffix.length) return false;
      if (!value.startsWith(prefix) || !value.endsWith(suffix)) return false;
      const middle = value.slice(prefix.length, value.length - suffix.length);
      return inner.test(middle) !== negate;
    },
  };
}

function globOrRegex(text: string, pattern: string): RegExp {
  if (text.startsWith('^') && text.endsWith('$') && text.length >= 2) {
    try {
      return new RegExp(text, 'u');
    } catch (err) {
      throw new MatcherSyntaxError(pattern, (err as Error).message);
    }
  }
  const body = text
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'su');
}
