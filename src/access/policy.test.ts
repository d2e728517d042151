import { describe, expect, it } from 'vitest';
import { expectCode } from '../../test/access/expect-code.js';
import { seedContext, seedRoles, seedUsers } from '../../test/access/fixtures.js';
import { hasPermission, reasonRequirement, requestableRoles } from './policy.js';

const ctx = seedContext();

describe('requestableRoles', () => {
  it('the contractor may request dba only', () => {
    expect(requestableRoles(seedUsers.alice, ctx)).toEqual(['dba']);
  });

  it('deny wins over allow: a contractor with a role allowing * still cannot request admin', () => {
    const roles = seedRoles();
    roles.set('everything', {
      kind: 'role',
      metadata: { name: 'everything' },
      spec: { allow: { request: { roles: ['*'] } } },
    });
    const user = { ...seedUsers.alice, roles: ['contractor', 'everything'] };
    const requestable = requestableRoles(user, seedContext(undefined, roles));
    expect(requestable).toContain('dba');
    expect(requestable).toContain('approver');
    expect(requestable).not.toContain('admin');
  });

  it('an employee may request common and dev-*; the admins group claim maps to every role', () => {
    expect(requestableRoles(seedUsers.dave, ctx)).toEqual([
      'common',
      'dev-alpha-prod',
      'dev-beta-prod',
      'dev-prod',
      'dev-stg',
      'dev-us-east-a',
      'dev-us-west-b',
    ]);
    const erin = requestableRoles(seedUsers.erin, ctx);
    expect(erin).toContain('admin');
    expect(erin).toContain('prod.us-east');
    expect(erin).not.toContain('employee'); // already held
    expect(erin).toHaveLength(ctx.roles.size - 1);
  });

  it('a claim mapping can be a glob over trait values', () => {
    const roles = seedRoles();
    roles.set('by-claim', {
      kind: 'role',
      metadata: { name: 'by-claim' },
      spec: {
        allow: { request: { claims_to_roles: [{ claim: 'groups', value: 'on*', roles: ['^prod.*$'] }] } },
      },
    });
    const user = { ...seedUsers.dave, roles: ['by-claim'] }; // groups: devs, oncall
    expect(requestableRoles(user, seedContext(undefined, roles))).toEqual([
      'prod-db',
      'prod-requester',
      'prod-reviewer',
      'prod.us-east',
    ]);
    const outsider = { ...user, traits: { groups: ['devs'] } };
    expect(requestableRoles(outsider, seedContext(undefined, roles))).toEqual([]);
  });

  it('each wildcard/regex example', () => {
    expect(requestableRoles(seedUsers.frank, ctx)).toEqual([
      'dev-alpha-prod',
      'dev-beta-prod',
      'dev-prod',
      'dev-stg',
      'dev-us-east-a',
      'dev-us-west-b',
    ]);
    expect(requestableRoles(seedUsers.fiona, ctx)).toEqual([
      'prod-db',
      'prod-requester',
      'prod-reviewer',
      'prod.us-east',
    ]);
    expect(requestableRoles(seedUsers.fred, ctx)).toEqual(['dev-us-east-a', 'dev-us-west-b']);
    expect(requestableRoles(seedUsers.felix, ctx)).toEqual(['dev-alpha-prod']);
  });

  it('a user with no roles, or unknown roles, may request nothing', () => {
    expect(requestableRoles({ ...seedUsers.alice, roles: [] }, ctx)).toEqual([]);
    expect(requestableRoles({ ...seedUsers.alice, roles: ['ghost'] }, ctx)).toEqual([]);
  });

  it('an invalid matcher in a role is INVALID_ROLE naming the role when applied', () => {
    const roles = seedRoles();
    roles.set('broken', {
      kind: 'role',
      metadata: { name: 'broken' },
      spec: { allow: { request: { roles: ['^dev[$'] } } },
    });
    const err = expectCode(
      () => requestableRoles({ ...seedUsers.alice, roles: ['broken'] }, seedContext(undefined, roles)),
      'INVALID_ROLE',
    );
    expect(err.message).toContain('role "broken"');
  });
});

describe('reasonRequirement', () => {
  it('request_access: reason requires a reason and carries the prompt', () => {
    expect(reasonRequirement(seedUsers.dave, ctx)).toEqual({
      required: true,
      prompt: 'Please provide your ticket ID',
    });
  });

  it('no request_access: optional', () => {
    expect(reasonRequirement(seedUsers.alice, ctx)).toEqual({ required: false });
  });

  it('request_access: always does not by itself require a reason', () => {
    const roles = seedRoles();
    roles.set('auto', {
      kind: 'role',
      metadata: { name: 'auto' },
      spec: { options: { request_access: 'always' } },
    });
    expect(
      reasonRequirement({ ...seedUsers.alice, roles: ['auto'] }, seedContext(undefined, roles)).required,
    ).toBe(false);
  });
});

describe('hasPermission', () => {
  it('admin may list/read/update/delete access requests; others may not', () => {
    for (const verb of ['list', 'read', 'update', 'delete'] as const) {
      expect(hasPermission(seedUsers.ivan, 'access_request', verb, ctx)).toBe(true);
    }
    expect(hasPermission(seedUsers.ivan, 'access_request', 'create', ctx)).toBe(false);
    expect(hasPermission(seedUsers.ivan, 'role', 'read', ctx)).toBe(false);
    expect(hasPermission(seedUsers.alice, 'access_request', 'list', ctx)).toBe(false);
  });

  it('wildcards, and deny wins', () => {
    const roles = seedRoles();
    roles.set('super', {
      kind: 'role',
      metadata: { name: 'super' },
      spec: { allow: { rules: [{ resources: ['*'], verbs: ['*'] }] } },
    });
    roles.set('no-tokens', {
      kind: 'role',
      metadata: { name: 'no-tokens' },
      spec: { deny: { rules: [{ resources: ['token'], verbs: ['*'] }] } },
    });
    const c = seedContext(undefined, roles);
    const user = { ...seedUsers.ivan, roles: ['super', 'no-tokens'] };
    expect(hasPermission(user, 'role', 'delete', c)).toBe(true);
    expect(hasPermission(user, 'user', 'review_as', c)).toBe(true);
    expect(hasPermission(user, 'token', 'read', c)).toBe(false);
  });
});
