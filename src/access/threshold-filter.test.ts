import { describe, expect, it } from 'vitest';
import { expectCode } from '../../test/access/expect-code.js';
import { compileFilter, type FilterSubject, filterProblem, reviewerPasses } from './threshold-filter.js';

const sue: FilterSubject = {
  name: 'sue',
  roles: ['prod-reviewer', 'super-approver'],
  traits: { team: ['sre'] },
};
const sam: FilterSubject = { name: 'sam', roles: ['prod-reviewer'], traits: { team: ['dev', 'sre-oncall'] } };

describe('threshold filters', () => {
  it('contains() over roles and traits, equals() over the name', () => {
    const superOnly = compileFilter('contains(reviewer.roles, "super-approver")');
    expect(superOnly(sue)).toBe(true);
    expect(superOnly(sam)).toBe(false);
    expect(compileFilter('contains(reviewer.traits["team"], "sre")')(sue)).toBe(true);
    expect(compileFilter('contains(reviewer.traits["team"], "sre")')(sam)).toBe(false);
    expect(compileFilter('contains(reviewer.traits.team, "dev")')(sam)).toBe(true);
    expect(compileFilter('equals(reviewer.name, "sam")')(sam)).toBe(true);
    expect(compileFilter('equals(reviewer.name, "sam")')(sue)).toBe(false);
  });

  it('combines with !, &&, || and parentheses, with && binding tighter', () => {
    expect(compileFilter('!equals(reviewer.name, "sam")')(sam)).toBe(false);
    expect(compileFilter('equals(reviewer.name, "x") || equals(reviewer.name, "sam") && true')(sam)).toBe(
      true,
    );
    expect(compileFilter('(equals(reviewer.name, "x") || equals(reviewer.name, "sam")) && false')(sam)).toBe(
      false,
    );
    expect(compileFilter('equals(reviewer.name, "sam") || equals(reviewer.name, "x") && false')(sam)).toBe(
      true,
    );
    expect(
      compileFilter(
        'contains(reviewer.roles, "prod-reviewer") && !contains(reviewer.roles, "super-approver")',
      )(sue),
    ).toBe(false);
  });

  it('a missing trait is an empty list', () => {
    expect(compileFilter('contains(reviewer.traits["nope"], "x")')(sam)).toBe(false);
    expect(compileFilter('contains(reviewer.traits["constructor"], "x")')(sam)).toBe(false);
  });

  it.each([
    '',
    'contains(reviewer.roles)',
    'contains(reviewer.roles, "x"',
    'starts_with(reviewer.name, "x")',
    'contains(reviewer.email, "x")',
    'contains(reviewer.roles, "x") &&',
    'contains(reviewer.roles, "x) ',
    'equals(reviewer.name, "a") & true',
  ])('refuses %j with a position', (filter) => {
    expect(filterProblem(filter)).toMatch(/invalid threshold filter/);
  });

  it('reviewerPasses: no filter counts everyone; a bad filter is INVALID_ROLE', () => {
    expect(reviewerPasses(undefined, sam)).toBe(true);
    expect(reviewerPasses('contains(reviewer.roles, "super-approver")', sam)).toBe(false);
    expectCode(() => reviewerPasses('contains(', sam), 'INVALID_ROLE');
  });
});
