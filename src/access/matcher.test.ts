import { describe, expect, it } from 'vitest';
import { compileMatcher, MatcherSyntaxError, matcherProblem } from './matcher.js';

const matches = (pattern: string, value: string) => compileMatcher(pattern).match(value);

describe('role matchers', () => {
  it('a literal matches only itself', () => {
    expect(matches('dba', 'dba')).toBe(true);
    expect(matches('dba', 'dba2')).toBe(false);
    expect(matches('prod.us-east', 'prodXus-east')).toBe(false);
  });

  it('a glob matches dev clusters (dev-*), and * matches everything', () => {
    expect(matches('dev-*', 'dev-prod')).toBe(true);
    expect(matches('dev-*', 'dev-stg')).toBe(true);
    expect(matches('dev-*', 'prod-dev')).toBe(false);
    expect(matches('*', 'anything at all')).toBe(true);
  });

  it('an anchored regex is a full regex (^prod.*$)', () => {
    expect(matches('^prod.*$', 'prod.us-east')).toBe(true);
    expect(matches('^prod.*$', 'preprod')).toBe(false);
    expect(matches('^(dba|dev)$', 'dev')).toBe(true);
  });

  it('regexp.match with a glob argument matches US dev clusters', () => {
    const pattern = 'dev-{{regexp.match("us-*")}}';
    expect(matches(pattern, 'dev-us-east-a')).toBe(true);
    expect(matches(pattern, 'dev-us-west-b')).toBe(true);
    expect(matches(pattern, 'dev-eu-west-1')).toBe(false);
    expect(matches(pattern, 'prod-us-east-a')).toBe(false);
  });

  it('regexp.not_match excludes the beta cluster only', () => {
    const pattern = 'dev-{{regexp.not_match("beta")}}-prod';
    expect(matches(pattern, 'dev-alpha-prod')).toBe(true);
    expect(matches(pattern, 'dev-beta-prod')).toBe(false);
    expect(matches(pattern, 'dev-alpha-stg')).toBe(false);
  });

  it('regexp.match takes an anchored regex argument', () => {
    const pattern = '{{regexp.match("^[a-z]+-[0-9]+$")}}';
    expect(matches(pattern, 'db-42')).toBe(true);
    expect(matches(pattern, 'db-x')).toBe(false);
  });

  it('regex metacharacters in globs are literal', () => {
    expect(matches('a+b*', 'a+bc')).toBe(true);
    expect(matches('a+b*', 'aab')).toBe(false);
  });

  it('reports a regex that does not compile', () => {
    expect(() => compileMatcher('^prod[$')).toThrow(MatcherSyntaxError);
    expect(matcherProblem('{{regexp.match("^x($")}}')).toContain('invalid matcher');
    expect(matcherProblem('{{regexp.frobnicate("x")}}')).toContain('expected {{regexp.match');
    expect(matcherProblem('{{regexp.match("a")}}-{{regexp.match("b")}}')).toContain('only one');
    expect(matcherProblem('dev-*')).toBeUndefined();
  });

  it('compiles a pattern once and reuses it', () => {
    expect(compileMatcher('cached-*')).toBe(compileMatcher('cached-*'));
  });
});
