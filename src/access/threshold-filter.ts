// The reviewer filter of a threshold, e.g.
//   contains(reviewer.roles, "super-approver") && !equals(reviewer.name, "bot")
// A tiny recursive-descent parser: predicates contains()/equals() over reviewer.name,
// reviewer.roles and reviewer.traits["k"] (or reviewer.traits.k), with !, &&, || and parentheses.
// Compiled once per filter string; a filter that does not parse is an INVALID_ROLE.

import { AccessbotError } from '../errors.js';
import type { Traits } from './types.js';

export interface FilterSubject {
  name: string;
  roles: readonly string[];
  traits: Traits;
}

export type ReviewerFilter = (reviewer: FilterSubject) => boolean;

type Value = string | readonly string[];
type ValueRef = (reviewer: FilterSubject) => Value;

type Token =
  | { kind: 'ident'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'punct'; text: string; at: number }
  | { kind: 'end'; text: ''; at: number };

export class FilterSyntaxError extends Error {
  constructor(
    readonly filter: string,
    why: string,
  ) {
    super(`invalid threshold filter ${JSON.stringify(filter)}: ${why}`);
    this.name = 'FilterSyntaxError';
  }
}

const cache = new Map<string, ReviewerFilter>();

export function compileFilter(filter: string): ReviewerFilter {
  const cached = cache.get(filter);
  if (cached) return cached;
  const compiled = new Parser(filter).parseAll();
  if (cache.size >= 1_000) cache.clear();
  cache.set(filter, compiled);
  return compiled;
}

/** Problem text for a bad filter, or undefined when it compiles. */
export function filterProblem(filter: string): string | undefined {
  try {
    compileFilter(filter);
    return undefined;
  } catch (err) {
    if (err instanceof FilterSyntaxError) return err.message;
    throw err;
  }
}

/** Evaluates a (possibly absent) filter; a bad one surfaces as INVALID_ROLE. */
export function reviewerPasses(filter: string | undefined, reviewer: FilterSubject): boolean {
  if (filter === undefined || filter.trim() === '') return true;
  return checkFilter(filter)(reviewer);
}

/** Compiles a filter, turning a syntax error into INVALID_ROLE. */
export function checkFilter(filter: string): ReviewerFilter {
  try {
    return compileFilter(filter);
  } catch (err) {
    if (err instanceof FilterSyntaxError) {
      throw new AccessbotError('INVALID_ROLE', err.message, [
        { path: 'thresholds.filter', message: err.message },
      ]);
    }
    throw err;
  }
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const ch = source[at]!;
    if (/\s/.test(ch)) {
      at++;
      continue;
    }
    const two = source.slice(at, at + 2);
    if (two === '&&' || two === '||') {
      tokens.push({ kind: 'punct', text: two, at });
      at += 2;
      continue;
    }
    if ('!().,[]'.includes(ch)) {
      tokens.push({ kind: 'punct', text: ch, at });
      at++;
      continue;
    }
    if (ch === '"') {
      let text = '';
      let end = at + 1;
      while (end < source.length && source[end] !== '"') {
        if (source[end] === '\\' && end + 1 < source.length) end++;
        text += source[end];
        end++;
      }
      if (end >= source.length) throw new FilterSyntaxError(source, `unterminated string at ${at}`);
      tokens.push({ kind: 'string', text, at });
      at = end + 1;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(at));
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], at });
      at += ident[0].length;
      continue;
    }
    throw new FilterSyntaxError(source, `unexpected "${ch}" at ${at}`);
  }
  tokens.push({ kind: 'end', text: '', at: source.length });
  return tokens;
}

class Parser {
  private readonly tokens: Token[];
  private pos = 0;

  constructor(private readonly source: string) {
    this.tokens = tokenize(source);
  }

  parseAll(): ReviewerFilter {
    if (this.peek().kind === 'end') throw this.fail('empty filter');
    const expr = this.parseOr();
    if (this.peek().kind !== 'end') throw this.fail(`unexpected "${this.peek().text}"`);
    return expr;
  }

  private parseOr(): ReviewerFilter {
    let left = this.parseAnd();
    while (this.eat('||')) {
      const a = left;
      const b = this.parseAnd();
      left = (r) => a(r) || b(r);
    }
    return left;
  }

  private parseAnd(): ReviewerFilter {
    let left = this.parseUnary();
    while (this.eat('&&')) {
      const a = left;
      const b = this.parseUnary();
      left = (r) => a(r) && b(r);
    }
    return left;
  }

  private parseUnary(): ReviewerFilter {
    if (this.eat('!')) {
      const inner = this.parseUnary();
      return (r) => !inner(r);
    }
    if (this.eat('(')) {
      const inner = this.parseOr();
      this.expect(')');
      return inner;
    }
    const token = this.next();
    if (token.kind !== 'ident') throw this.fail(`expected a predicate, got "${token.text || 'end'}"`, token);
    if (token.text === 'true') return () => true;
    if (token.text === 'false') return () => false;
    return this.parseCall(token.text, token);
  }

  private parseCall(name: string, token: Token): ReviewerFilter {
    if (name !== 'contains' && name !== 'equals') {
      throw this.fail(`unknown function "${name}" (expected contains or equals)`, token);
    }
    this.expect('(');
    const left = this.parseValue();
    this.expect(',');
    const right = this.parseValue();
    this.expect(')');
    if (name === 'contains') {
      return (r) => {
        const haystack = left(r);
        const needle = right(r);
        if (typeof needle !== 'string') return false;
        return typeof haystack === 'string' ? haystack === needle : haystack.includes(needle);
      };
    }
    return (r) => {
      const a = left(r);
      const b = right(r);
      return typeof a === 'string' && typeof b === 'string' && a === b;
    };
  }

  private parseValue(): ValueRef {
    const token = this.next();
    if (token.kind === 'string') {
      const text = token.text;
      return () => text;
    }
    if (token.kind !== 'ident' || token.text !== 'reviewer') {
      throw this.fail(`expected a string or reviewer.name/roles/traits, got "${token.text || 'end'}"`, token);
    }
    this.expect('.');
    const field = this.next();
    if (field.kind === 'ident' && field.text === 'name') return (r) => r.name;
    if (field.kind === 'ident' && field.text === 'roles') return (r) => r.roles;
    if (field.kind === 'ident' && field.text === 'traits') {
      let key: string;
      if (this.eat('[')) {
        const keyToken = this.next();
        if (keyToken.kind !== 'string') throw this.fail('expected a quoted trait name', keyToken);
        key = keyToken.text;
        this.expect(']');
      } else {
        this.expect('.');
        const keyToken = this.next();
        if (keyToken.kind !== 'ident') throw this.fail('expected a trait name', keyToken);
        key = keyToken.text;
      }
      return (r) => (Object.hasOwn(r.traits, key) ? (r.traits[key] ?? []) : []);
    }
    throw this.fail(`unknown reviewer field "${field.text}" (expected name, roles or traits)`, field);
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    const token = this.tokens[this.pos]!;
    if (token.kind !== 'end') this.pos++;
    return token;
  }

  private eat(punct: string): boolean {
    const token = this.peek();
    if (token.kind === 'punct' && token.text === punct) {
      this.pos++;
      return true;
    }
    return false;
  }

  private expect(punct: string): void {
    if (!this.eat(punct)) throw this.fail(`expected "${punct}"`);
  }

  private fail(why: string, token: Token = this.peek()): FilterSyntaxError {
    return new FilterSyntaxError(this.source, `${why} at position ${token.at}`);
  }
}
