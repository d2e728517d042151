import { describe, expect, it } from 'vitest';
import { expectCode } from '../../test/access/expect-code.js';
import {
  CONTRACTOR_ROLES_YAML,
  EMPLOYEE_ROLES_YAML,
  RESOURCE_ROLES_YAML,
} from '../../test/access/fixtures.js';
import { parseRolesYaml, type RoleProblem, validateRole } from './role-schema.js';

describe('parseRolesYaml', () => {
  it('reads every document of a multi-document file', () => {
    const roles = parseRolesYaml(CONTRACTOR_ROLES_YAML);
    expect(roles.map((role) => role.metadata.name)).toEqual(['contractor', 'dba', 'approver', 'admin']);
    const contractor = roles[0]!;
    expect(contractor.version).toBe('v5');
    expect(contractor.spec.allow?.request?.roles).toEqual(['dba']);
    expect(contractor.spec.deny?.request?.roles).toEqual(['admin']);
  });

  it('keeps keys this model does not use (db_labels, logins, kubernetes_resources)', () => {
    const [dba] = parseRolesYaml(CONTRACTOR_ROLES_YAML).slice(1);
    expect(dba!.spec.allow?.db_labels).toEqual({ '*': '*' });
    const byName = new Map(parseRolesYaml(RESOURCE_ROLES_YAML).map((r) => [r.metadata.name, r]));
    expect(byName.get('access')!.spec.allow?.logins).toEqual(['{{internal.logins}}']);
    expect(byName.get('kube-access')!.spec.allow?.kubernetes_resources).toHaveLength(2);
    expect(byName.get('kube-access')!.spec.allow?.kubernetes_groups).toEqual(['viewers']);
  });

  it('accepts version after spec (v3 employee), and a single string where a list is expected', () => {
    const [employee] = parseRolesYaml(EMPLOYEE_ROLES_YAML);
    expect(employee!.version).toBe('v3');
    expect(employee!.spec.options?.request_access).toBe('reason');
    const [single] = parseRolesYaml(
      'kind: role\nmetadata: {name: one}\nspec: {allow: {request: {roles: dba}}}\n',
    );
    expect(single!.spec.allow?.request?.roles).toEqual(['dba']);
  });

  it('skips empty documents (a leading ---)', () => {
    expect(parseRolesYaml('---\nkind: role\nmetadata: {name: a}\n---\n').map((r) => r.metadata.name)).toEqual(
      ['a'],
    );
  });

  it('malformed YAML is INVALID_YAML with the line', () => {
    const text = 'kind: role\nmetadata:\n  name: [broken\nspec: {}\n';
    const err = expectCode(() => parseRolesYaml(text), 'INVALID_YAML');
    expect(err.message).toMatch(/line \d+/);
    expect((err.details as { line: number }).line).toBeGreaterThan(0);
  });

  it('reports every problem of every document at once', () => {
    const text = `kind: role
version: v9
metadata: {}
spec:
  allow:
    request:
      roles: ['^prod[$']
      thresholds:
        - approve: 0
          deny: 0
  options:
    request_access: sometimes
    max_session_ttl: forever
---
kind: user
metadata: {name: bob}
---
kind: role
metadata: {name: ok}
spec:
  allow:
    request:
      thresholds:
        - filter: 'contains(reviewer.roles'
`;
    const err = expectCode(() => parseRolesYaml(text), 'INVALID_ROLE');
    const problems = err.details as RoleProblem[];
    const paths = problems.map((p) => `${p.document}:${p.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        '0:version',
        '0:metadata.name',
        '0:spec.allow.request.roles.0',
        '0:spec.allow.request.thresholds.0.approve',
        '0:spec.allow.request.thresholds.0.deny',
        '0:spec.options.request_access',
        '0:spec.options.max_session_ttl',
        '1:kind',
        '2:spec.allow.request.thresholds.0.filter',
      ]),
    );
    expect(problems.find((p) => p.path === 'spec.allow.request.thresholds.0.approve')?.message).toMatch(
      /at least 1/,
    );
  });

  it('refuses a duplicate role name', () => {
    const err = expectCode(
      () => parseRolesYaml('kind: role\nmetadata: {name: a}\n---\nkind: role\nmetadata: {name: a}\n'),
      'INVALID_ROLE',
    );
    expect(err.message).toContain('already defined');
  });

  it('refuses a bad trait expression in annotations and a bad claims_to_roles matcher', () => {
    const text = `kind: role
metadata: {name: a}
spec:
  allow:
    request:
      annotations:
        team: ['{{external.}}']
      claims_to_roles:
        - claim: groups
          value: '^adm[$'
          roles: ['*']
`;
    const problems = expectCode(() => parseRolesYaml(text), 'INVALID_ROLE').details as RoleProblem[];
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        'spec.allow.request.annotations.team.0',
        'spec.allow.request.claims_to_roles.0.value',
      ]),
    );
  });
});

describe('validateRole', () => {
  it('returns the role for a valid object and names the role on failure', () => {
    expect(validateRole({ kind: 'role', metadata: { name: 'x' }, spec: {} }).metadata.name).toBe('x');
    const err = expectCode(
      () =>
        validateRole({ kind: 'role', metadata: { name: 'x' }, spec: { options: { max_session_ttl: '0s' } } }),
      'INVALID_ROLE',
    );
    expect(err.message).toContain('role "x"');
    expect(err.details).toEqual([
      { path: 'spec.options.max_session_ttl', message: 'max_session_ttl must be positive' },
    ]);
  });

  it('refuses something that is not a role at all', () => {
    const err = expectCode(() => validateRole('kind: role'), 'INVALID_ROLE');
    expect(err.message).toContain('must be a YAML mapping');
    expectCode(() => validateRole(null), 'INVALID_ROLE');
  });
});
