import { describe, expect, it } from 'vitest';
import { expectCode } from '../../test/access/expect-code.js';
import { SEED_NOW, seedContext, seedRoles, seedUsers } from '../../test/access/fixtures.js';
import type { NewRequestInput } from './context.js';
import { newAccessRequest } from './request.js';

const ctx = seedContext();
const HOUR = 3_600_000;
const create = (input: Omit<NewRequestInput, 'id'>, c = ctx) =>
  newAccessRequest({ id: 'req-1', ...input }, c);
const later = (ms: number) => new Date(SEED_NOW.getTime() + ms).toISOString();

describe('newAccessRequest: roles', () => {
  it('the contractor requests dba: pending, default thresholds, dba max_session_ttl 1h', () => {
    const request = create({
      user: seedUsers.alice,
      roles: ['dba'],
      reason: 'ticket #123',
      suggestedReviewers: ['bob@example.com', 'ivan@example.com'],
    });
    expect(request).toEqual({
      id: 'req-1',
      user: 'alice',
      roles: ['dba'],
      resources: [],
      reason: 'ticket #123',
      suggestedReviewers: ['bob@example.com', 'ivan@example.com'],
      annotations: {},
      thresholds: [{ approve: 1, deny: 1 }],
      roleThresholds: { dba: [0] },
      state: 'PENDING',
      reviews: [],
      created: SEED_NOW.toISOString(),
      requestExpires: later(HOUR),
      accessExpires: later(HOUR),
      approvedRoles: [],
      version: 1,
    });
  });

  it('the contractor cannot request admin (denied) nor a role that does not exist', () => {
    const denied = expectCode(
      () => create({ user: seedUsers.alice, roles: ['admin'] }),
      'ROLE_NOT_REQUESTABLE',
    );
    expect(denied.message).toContain('"admin"');
    const unknown = expectCode(
      () => create({ user: seedUsers.alice, roles: ['dba', 'nope'] }),
      'UNKNOWN_ROLE',
    );
    expect(unknown.message).toContain('"nope"');
  });

  it('a role already held cannot be requested', () => {
    expectCode(() => create({ user: seedUsers.alice, roles: ['contractor'] }), 'ROLE_NOT_REQUESTABLE');
  });

  it('mixed roles and resources, or nothing, is refused', () => {
    expectCode(
      () => create({ user: seedUsers.rita, roles: ['dba'], resources: ['/c/node/x'] }),
      'MIXED_ROLES_AND_RESOURCES',
    );
    expectCode(() => create({ user: seedUsers.alice }), 'EMPTY_REQUEST');
    expectCode(() => create({ user: seedUsers.alice, roles: [], resources: [] }), 'EMPTY_REQUEST');
  });

  it('reason limit is 4096 bytes of UTF-8, not characters', () => {
    expect(create({ user: seedUsers.alice, roles: ['dba'], reason: 'x'.repeat(4096) }).reason).toHaveLength(
      4096,
    );
    expectCode(
      () => create({ user: seedUsers.alice, roles: ['dba'], reason: 'x'.repeat(4097) }),
      'REASON_TOO_LONG',
    );
    // 1366 × 3-byte characters = 4098 bytes, though only 1366 characters.
    expectCode(
      () => create({ user: seedUsers.alice, roles: ['dba'], reason: '€'.repeat(1366) }),
      'REASON_TOO_LONG',
    );
  });

  it('the employee must give a reason; the error carries the request_prompt', () => {
    for (const reason of [undefined, '', '   ']) {
      const err = expectCode(
        () => create({ user: seedUsers.dave, roles: ['common'], reason }),
        'REASON_REQUIRED',
      );
      expect(err.message).toContain('Please provide your ticket ID');
    }
    expect(create({ user: seedUsers.dave, roles: ['common'], reason: 'JIRA-1' }).state).toBe('PENDING');
  });

  it('the employee annotations: literals kept, {{external.groups}} expanded per value', () => {
    const request = create({ user: seedUsers.dave, roles: ['dev-prod'], reason: 'JIRA-1' });
    expect(request.annotations).toEqual({ foo: ['bar'], groups: ['devs', 'oncall'] });
  });

  it('an annotation whose trait is missing is dropped, other values stay', () => {
    const roles = seedRoles();
    roles.set('annotated', {
      kind: 'role',
      metadata: { name: 'annotated' },
      spec: {
        allow: {
          request: {
            roles: ['dba'],
            annotations: {
              team: ['{{external.team}}'],
              mixed: ['fixed', 'u-{{internal.logins}}', '{{external["no such"]}}'],
            },
          },
        },
      },
    });
    const user = { ...seedUsers.alice, roles: ['annotated'], traits: { logins: ['root', 'alice'] } };
    const request = create({ user, roles: ['dba'] }, seedContext(undefined, roles));
    expect(request.annotations).toEqual({ mixed: ['fixed', 'u-root', 'u-alice'] });
  });

  it('the admins group may request any role through claims_to_roles, still with a reason', () => {
    expect(create({ user: seedUsers.erin, roles: ['admin', 'dba'], reason: 'incident 7' }).roles).toEqual([
      'admin',
      'dba',
    ]);
    expectCode(() => create({ user: seedUsers.dave, roles: ['admin'], reason: 'x' }), 'ROLE_NOT_REQUESTABLE');
  });

  it('duplicate roles are requested once', () => {
    expect(create({ user: seedUsers.grace, roles: ['role-1', 'role-1', 'role-2'] }).roles).toEqual([
      'role-1',
      'role-2',
    ]);
  });
});

describe('newAccessRequest: expiry', () => {
  it('pending TTL: default, requested, capped by the maximum; bad TTL refused', () => {
    expect(create({ user: seedUsers.alice, roles: ['dba'], requestTtl: '30m' }).requestExpires).toBe(
      later(HOUR / 2),
    );
    expect(create({ user: seedUsers.alice, roles: ['dba'], requestTtl: '30d' }).requestExpires).toBe(
      later(7 * 24 * HOUR),
    );
    expectCode(
      () => create({ user: seedUsers.alice, roles: ['dba'], requestTtl: 'soon' }),
      'INVALID_DURATION',
    );
    expectCode(() => create({ user: seedUsers.alice, roles: ['dba'], requestTtl: '0s' }), 'INVALID_DURATION');
  });

  it('access expiry: the smallest max_session_ttl of the requested roles, 8h when unset', () => {
    expect(create({ user: seedUsers.grace, roles: ['role-1'] }).accessExpires).toBe(later(8 * HOUR));
    expect(
      create({ user: seedUsers.erin, roles: ['role-1', 'prod-db', 'dba'], reason: 'r' }).accessExpires,
    ).toBe(later(HOUR / 2));
  });
});

describe('newAccessRequest: thresholds', () => {
  it('takes the thresholds of the roles that permit each requested role', () => {
    const request = create({ user: seedUsers.tom, roles: ['prod-db'] });
    expect(request.thresholds).toEqual([{ approve: 2, deny: 1 }]);
    expect(request.roleThresholds).toEqual({ 'prod-db': [0] });
  });

  it('dedupes identical thresholds and gives roles without any the default', () => {
    const user = { ...seedUsers.tom, roles: ['prod-requester', 'filtered-requester', 'multi-requester'] };
    const request = create({ user, roles: ['prod-db', 'role-1'] });
    expect(request.thresholds).toEqual([
      { approve: 2, deny: 1 },
      { name: 'super approvers', approve: 1, deny: 1, filter: 'contains(reviewer.roles, "super-approver")' },
      { approve: 1, deny: 1 },
    ]);
    expect(request.roleThresholds).toEqual({ 'prod-db': [0, 1], 'role-1': [2] });
  });
});

describe('newAccessRequest: resources', () => {
  it('a node request is granted through search_as_roles', () => {
    const request = create({
      user: seedUsers.rita,
      resources: ['/teleport.example.com/node/bbb56211-7b54-4f9e-bee9-b68ea156be5f'],
      reason: 'responding to incident 123',
    });
    expect(request.roles).toEqual(['access']);
    expect(request.resources).toEqual(['/teleport.example.com/node/bbb56211-7b54-4f9e-bee9-b68ea156be5f']);
    expect(request.roleThresholds).toEqual({ access: [0] });
  });

  it('a malformed resource ID is refused, naming it and the expected format', () => {
    const err = expectCode(
      () => create({ user: seedUsers.rita, resources: ['/teleport.example.com/node/ok', 'node/nope'] }),
      'INVALID_RESOURCE_ID',
    );
    expect(err.message).toContain('"node/nope"');
    expect(err.message).toContain('/CLUSTER/KIND/NAME');
  });

  it('a user without search_as_roles cannot request resources', () => {
    expectCode(
      () => create({ user: seedUsers.alice, resources: ['/teleport.example.com/node/x'] }),
      'RESOURCE_NOT_REQUESTABLE',
    );
  });

  it('without request.kubernetes_resources any Kubernetes form, and a whole cluster, may be requested', () => {
    const request = create({
      user: seedUsers.rita,
      resources: [
        '/teleport.example.com/kube_cluster/mycluster',
        '/teleport.example.com/kube:cw:*.*/mycluster/*',
        '/teleport.example.com/kube:ns:*.*/mycluster/*/*',
      ],
    });
    expect(request.resources).toHaveLength(3);
  });

  it('pods only: pods allowed, deployments and a whole kube_cluster refused', () => {
    expect(
      create({
        user: seedUsers.kate,
        resources: ['/teleport.example.com/kube:ns:pods/mycluster/dev/nginx-1'],
      }).roles,
    ).toEqual(['kube-access']);
    const deployments = expectCode(
      () =>
        create({
          user: seedUsers.kate,
          resources: ['/teleport.example.com/kube:ns:deployments.apps/mycluster/prod/website'],
        }),
      'RESOURCE_NOT_REQUESTABLE',
    );
    expect(deployments.message).toContain('deployments.apps');
    expectCode(
      () => create({ user: seedUsers.kate, resources: ['/teleport.example.com/kube_cluster/mycluster'] }),
      'RESOURCE_NOT_REQUESTABLE',
    );
    expectCode(
      () =>
        create({ user: seedUsers.kate, resources: ['/teleport.example.com/kube:ns:*.*/mycluster/prod/*'] }),
      'RESOURCE_NOT_REQUESTABLE',
    );
    // Non-Kubernetes resources are not restricted by kubernetes_resources.
    expect(create({ user: seedUsers.kate, resources: ['/teleport.example.com/db/postgres'] }).state).toBe(
      'PENDING',
    );
  });

  it('deployments and pods: both allowed, namespaces refused', () => {
    const ok = create({
      user: seedUsers.kim,
      resources: [
        '/teleport.example.com/kube:ns:deployments.apps/mycluster/prod/website',
        '/teleport.example.com/kube:ns:pods/mycluster/*/^nginx-[a-z0-9-]+$',
      ],
    });
    expect(ok.resources).toHaveLength(2);
    expectCode(
      () =>
        create({
          user: seedUsers.kim,
          resources: ['/teleport.example.com/kube:cw:namespaces/mycluster/prod'],
        }),
      'RESOURCE_NOT_REQUESTABLE',
    );
  });

  it('kind * / api_group *: any specific Kubernetes resource, still no whole cluster', () => {
    const ok = create({
      user: seedUsers.kai,
      resources: [
        '/teleport.example.com/kube:cw:namespaces/mycluster/prod',
        '/teleport.example.com/kube:ns:*.*/mycluster/prod/*',
        '/teleport.example.com/kube:cw:*.*/mycluster/*',
      ],
    });
    expect(ok.resources).toHaveLength(3);
    expectCode(
      () => create({ user: seedUsers.kai, resources: ['/teleport.example.com/kube_cluster/mycluster'] }),
      'RESOURCE_NOT_REQUESTABLE',
    );
  });

  it('suggested reviewers: the input plus the roles’ suggested_reviewers, without duplicates', () => {
    const roles = seedRoles();
    const requester = roles.get('requester')!;
    roles.set('requester', {
      ...requester,
      spec: {
        allow: {
          request: {
            ...requester.spec.allow!.request,
            suggested_reviewers: ['bob@example.com', 'sec@example.com'],
          },
        },
      },
    });
    const request = create(
      {
        user: seedUsers.rita,
        resources: ['/c/node/n'],
        suggestedReviewers: ['bob@example.com', 'amy@example.com'],
      },
      seedContext(undefined, roles),
    );
    expect(request.suggestedReviewers).toEqual(['bob@example.com', 'amy@example.com', 'sec@example.com']);
  });
});

describe('newAccessRequest: roles that were never validated', () => {
  it('a bad threshold filter or kubernetes_resources pattern is INVALID_ROLE at creation', () => {
    const roles = seedRoles();
    roles.set('bad-filter', {
      kind: 'role',
      metadata: { name: 'bad-filter' },
      spec: {
        allow: {
          request: { roles: ['dba'], thresholds: [{ approve: 1, filter: 'contains(reviewer.roles' }] },
        },
      },
    });
    roles.set('bad-kube', {
      kind: 'role',
      metadata: { name: 'bad-kube' },
      spec: {
        allow: { request: { search_as_roles: ['access'], kubernetes_resources: [{ kind: '^pods[$' }] } },
      },
    });
    const c = seedContext(undefined, roles);
    expectCode(
      () => create({ user: { ...seedUsers.alice, roles: ['bad-filter'] }, roles: ['dba'] }, c),
      'INVALID_ROLE',
    );
    expectCode(
      () =>
        create(
          { user: { ...seedUsers.alice, roles: ['bad-kube'] }, resources: ['/c/kube:ns:pods/k/ns/p'] },
          c,
        ),
      'INVALID_ROLE',
    );
  });
});
