// Seed roles and users from the Teleport access-request documents (../shared/seeds), as YAML
// strings and User objects. Shared with the API and CLI suites: import, don't copy.
//
// The .txt seeds lost their YAML indentation when scraped; the roles below restore it without
// changing any value. Roles only needed for this project's examples say so.

import type { AccessContext } from '../../src/access/index.js';
import { parseRolesYaml } from '../../src/access/index.js';
import type { Role, User } from '../../src/access/types.js';

/** Roles that grant nothing, only there to be requested: one `---`-led v7 document each. */
export function emptyRolesYaml(names: readonly string[]): string {
  return names.map((name) => `---\nkind: role\nversion: v7\nmetadata:\n  name: ${name}\nspec: {}\n`).join('');
}

/** role-access-requests.txt + access-requests-setup.txt: contractor → dba, reviewed by approver/admin. */
export const CONTRACTOR_ROLES_YAML = `kind: role
version: v5
metadata:
  name: contractor
spec:
  allow:
    request:
      roles: ['dba']
  deny:
    request:
      roles: ['admin']
---
kind: role
version: v5
metadata:
  name: dba
spec:
  allow:
    db_labels:
      '*': '*'
  options:
    # Only allows the contractor to use this role for 1 hour from time of request.
    max_session_ttl: 1h
---
kind: role
version: v5
metadata:
  name: approver
spec:
  allow:
    # \`review_requests\` permits the listed roles to be approved
    review_requests:
      roles:
        - 'dba'
---
kind: role
version: v5
metadata:
  name: admin
spec:
  allow:
    review_requests:
      roles:
        - 'dba'
    rules:
      - resources:
          - access_request
        verbs:
          - list
          - read
          - update
          - delete
`;

/** access-requests-setup.txt: the unprivileged employee (claims_to_roles, annotations, reason). */
export const EMPLOYEE_ROLES_YAML = `kind: role
metadata:
  name: employee
spec:
  allow:
    request:
      # the \`roles\` list can now be a mixture of literals and wildcard matchers
      roles: ['common', 'dev-*']
      claims_to_roles:
        - claim: groups
          value: admins
          roles: ['*']
      annotations:
        foo: ['bar']
        groups: ['{{external.groups}}']
  options:
    request_access: reason
    request_prompt: Please provide your ticket ID
version: v3
---
kind: role
version: v5
metadata:
  name: common
spec: {}
`;

/** The wildcard / regex helper examples, one requester role per pattern (project fixture). */
export const MATCHER_ROLES_YAML = `kind: role
version: v7
metadata:
  name: requester-glob
spec:
  allow:
    request:
      roles: ['dev-*']
---
kind: role
version: v7
metadata:
  name: requester-regex
spec:
  allow:
    request:
      roles: ['^prod.*$']
---
kind: role
version: v7
metadata:
  name: requester-us
spec:
  allow:
    request:
      roles: ['dev-{{regexp.match("us-*")}}']
---
kind: role
version: v7
metadata:
  name: requester-not-beta
spec:
  allow:
    request:
      roles: ['dev-{{regexp.not_match("beta")}}-prod']
${emptyRolesYaml([
  'dev-prod',
  'dev-stg',
  'prod.us-east',
  'dev-us-east-a',
  'dev-us-west-b',
  'dev-alpha-prod',
  'dev-beta-prod',
  'staging',
])}`;

/** Subset approval (`tctl request approve --roles=role-1,role-3`) and thresholds (project fixture). */
export const REVIEW_ROLES_YAML = `kind: role
version: v7
metadata:
  name: multi-requester
spec:
  allow:
    request:
      roles: ['role-*']
---
kind: role
version: v7
metadata:
  name: multi-reviewer
spec:
  allow:
    review_requests:
      roles: ['role-*']
${emptyRolesYaml(['role-1', 'role-2', 'role-3'])}---
kind: role
version: v7
metadata:
  name: prod-requester
spec:
  allow:
    request:
      roles: ['prod-db']
      thresholds:
        - approve: 2
          deny: 1
---
kind: role
version: v7
metadata:
  name: filtered-requester
spec:
  allow:
    request:
      roles: ['prod-db']
      thresholds:
        - name: super approvers
          approve: 1
          deny: 1
          filter: 'contains(reviewer.roles, "super-approver")'
---
kind: role
version: v7
metadata:
  name: prod-db
spec:
  options:
    max_session_ttl: 30m
---
kind: role
version: v7
metadata:
  name: prod-reviewer
spec:
  allow:
    review_requests:
      roles: ['prod-db']
---
kind: role
version: v7
metadata:
  name: super-approver
spec:
  allow:
    review_requests:
      roles: ['prod-db']
`;

/** resource-access-requests.md: requester/reviewer over the preset access role, and Kubernetes. */
export const RESOURCE_ROLES_YAML = `kind: role
version: v7
metadata:
  name: requester
spec:
  allow:
    request:
      search_as_roles:
        - access
---
kind: role
version: v7
metadata:
  name: reviewer
spec:
  allow:
    review_requests:
      roles:
        - access
        - kube-access
---
kind: role
version: v5
metadata:
  name: access
spec:
  allow:
    node_labels:
      '*': '*'
    logins:
      - '{{internal.logins}}'
---
kind: role
metadata:
  name: kube-access
version: v8
spec:
  allow:
    kubernetes_labels:
      '*': '*'
    kubernetes_resources:
      - kind: pods
        namespace: '*'
        name: 'nginx*'
        api_group: ''
      - kind: pods
        namespace: dev
        name: '*'
        api_group: ''
    kubernetes_groups:
      - viewers
  deny: {}
---
kind: role
metadata:
  name: requester-kube-pods
version: v8
spec:
  allow:
    request:
      search_as_roles:
        - kube-access
      kubernetes_resources:
        - kind: pods
          api_group: ''
---
kind: role
metadata:
  name: requester-kube-deployments-pods
version: v8
spec:
  allow:
    request:
      search_as_roles:
        - kube-access
      kubernetes_resources:
        - kind: deployments
          api_group: apps
        - kind: pods
          api_group: ''
---
kind: role
metadata:
  name: requester-kube-any
version: v8
spec:
  allow:
    request:
      search_as_roles:
        - kube-access
      kubernetes_resources:
        - kind: '*'
          api_group: '*'
`;

export const ALL_SEED_ROLES_YAML = [
  CONTRACTOR_ROLES_YAML,
  EMPLOYEE_ROLES_YAML,
  MATCHER_ROLES_YAML,
  REVIEW_ROLES_YAML,
  RESOURCE_ROLES_YAML,
].join('---\n');

function user(name: string, roles: string[], traits: Record<string, string[]> = {}): User {
  return { name, email: `${name}@example.com`, roles, traits, createdAt: '2026-01-01T00:00:00.000Z' };
}

/** People of the seeds (alice, bob, ivan) and of this project's examples. */
export const seedUsers = {
  /** contractor: may request dba, never admin. */
  alice: user('alice', ['contractor']),
  /** approver: reviews dba. */
  bob: user('bob', ['approver']),
  /** admin: reviews dba and manages access requests. */
  ivan: user('ivan', ['admin']),
  /** employee outside the admins group. */
  dave: user('dave', ['employee'], { groups: ['devs', 'oncall'] }),
  /** employee in the admins group: may request any role (but still needs a reason). */
  erin: user('erin', ['employee'], { groups: ['admins'] }),
  frank: user('frank', ['requester-glob']),
  fiona: user('fiona', ['requester-regex']),
  fred: user('fred', ['requester-us']),
  felix: user('felix', ['requester-not-beta']),
  grace: user('grace', ['multi-requester']),
  henry: user('henry', ['multi-reviewer']),
  tom: user('tom', ['prod-requester']),
  tess: user('tess', ['filtered-requester']),
  ruth: user('ruth', ['prod-reviewer']),
  sam: user('sam', ['prod-reviewer']),
  sue: user('sue', ['prod-reviewer', 'super-approver']),
  rita: user('rita', ['requester'], { logins: ['rita'] }),
  rob: user('rob', ['reviewer']),
  kate: user('kate', ['requester-kube-pods']),
  kim: user('kim', ['requester-kube-deployments-pods']),
  kai: user('kai', ['requester-kube-any']),
} satisfies Record<string, User>;

export function seedRoles(yaml: string = ALL_SEED_ROLES_YAML): Map<string, Role> {
  return new Map(parseRolesYaml(yaml).map((role) => [role.metadata.name, role]));
}

export const SEED_NOW = new Date('2026-03-01T12:00:00.000Z');

/** A context over the seed roles: 1 h default pending TTL, 7 d maximum. */
export function seedContext(now: Date = SEED_NOW, roles: Map<string, Role> = seedRoles()): AccessContext {
  return { roles, now, defaultRequestTtlMs: 3_600_000, maxRequestTtlMs: 7 * 86_400_000 };
}

/** The same context at another instant (reviews happen after creation). */
export function at(ctx: AccessContext, now: Date): AccessContext {
  return { ...ctx, now };
}
