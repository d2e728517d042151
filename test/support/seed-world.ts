// Roles and users for the plugin end-to-end suites and benches: requesters who may ask for a
// role, reviewers who may review it, and the roles themselves. Built from specs rather than
// pasted YAML, so each suite states only what its world has that the others lack.

import type { UserInput } from '../../src/client/types.js';
import { emptyRolesYaml } from '../access/fixtures.js';

export interface RoleSpec {
  name: string;
  /** What holders may request (allow.request). */
  request?: {
    roles: string[];
    thresholds?: { approve: number; deny: number }[];
    annotations?: Record<string, string[]>;
  };
  /** Roles whose requests holders may review (allow.review_requests.roles). */
  review?: string[];
}

const flowList = (values: readonly string[]) =>
  `[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ')}]`;

function roleYaml(spec: RoleSpec): string {
  const lines = ['kind: role', 'version: v7', 'metadata:', `  name: ${spec.name}`, 'spec:', '  allow:'];
  if (spec.request) {
    lines.push('    request:', `      roles: ${flowList(spec.request.roles)}`);
    if (spec.request.thresholds) {
      lines.push('      thresholds:');
      for (const t of spec.request.thresholds)
        lines.push(`        - approve: ${t.approve}`, `          deny: ${t.deny}`);
    }
    if (spec.request.annotations) {
      lines.push('      annotations:');
      for (const [key, values] of Object.entries(spec.request.annotations))
        lines.push(`        ${key}: ${flowList(values)}`);
    }
  }
  if (spec.review) lines.push('    review_requests:', `      roles: ${flowList(spec.review)}`);
  return `${lines.join('\n')}\n`;
}

/** One multi-document YAML: the roles with rights, then the `grants` roles (empty specs). */
export function worldRolesYaml(roles: readonly RoleSpec[], grants: readonly string[]): string {
  return roles.map(roleYaml).join('---\n') + emptyRolesYaml(grants);
}

/** May request prod-db, which takes two approvals (one denial denies). */
export function prodRequester(annotations?: Record<string, string[]>): RoleSpec {
  return {
    name: 'prod-requester',
    request: {
      roles: ['prod-db'],
      thresholds: [{ approve: 2, deny: 1 }],
      ...(annotations ? { annotations } : {}),
    },
  };
}

/** `requester` may request dba; `approver` may review it. */
export const DBA_ROLES_YAML = worldRolesYaml(
  [
    { name: 'requester', request: { roles: ['dba'] } },
    { name: 'approver', review: ['dba'] },
  ],
  ['dba'],
);

/** DBA_ROLES_YAML plus prod-requester; `approver` reviews both dba and prod-db. */
export function dbaAndProdRolesYaml(requester = 'requester'): string {
  return worldRolesYaml(
    [
      { name: requester, request: { roles: ['dba'] } },
      prodRequester(),
      { name: 'approver', review: ['dba', 'prod-db'] },
    ],
    ['dba', 'prod-db'],
  );
}

/** Access users by name → roles, in the given order, each with the email `<name>@example.com`. */
export function usersWithEmail(rolesByName: Record<string, string[]>): UserInput[] {
  return Object.entries(rolesByName).map(([name, roles]) => ({ name, email: `${name}@example.com`, roles }));
}
