// Replays every example of the seed documents (../shared/seeds) against the access model.
// Each describe block names its document; each test follows one example from it.

import { describe, expect, it } from 'vitest';
import {
  applyResolution,
  applyReview,
  canReview,
  type NewReviewInput,
  newAccessRequest,
  parseResourceId,
  parseRolesYaml,
  reasonRequirement,
  requestableRoles,
} from '../../src/access/index.js';
import type { Role, User } from '../../src/access/types.js';
import { expectCode } from './expect-code.js';
import { at, SEED_NOW, seedContext, seedRoles, seedUsers } from './fixtures.js';

const ctx = seedContext();
const later = at(ctx, new Date(SEED_NOW.getTime() + 60_000));
const HOUR = 3_600_000;
const review = (reviewer: User, proposedState: 'APPROVED' | 'DENIED', extra: Partial<NewReviewInput> = {}) =>
  ({ proposedState, submittedBy: reviewer.name, ...extra }) as NewReviewInput;
const emptyRole = (name: string): Role => ({ kind: 'role', version: 'v7', metadata: { name }, spec: {} });

describe('role-access-requests.txt', () => {
  it('contractor requests dba; the approver approves with tsh request review --approve', () => {
    const request = newAccessRequest(
      { id: 'bc8ca931-fec9-4b15-9a6f-20c13c5641a9', user: seedUsers.alice, roles: ['dba'] },
      ctx,
    );
    expect(request.state).toBe('PENDING');
    // dba: "Only allows the contractor to use this role for 1 hour from time of request."
    expect(Date.parse(request.accessExpires) - SEED_NOW.getTime()).toBe(HOUR);
    expect(canReview(request, seedUsers.bob, later)).toBe(true);
    const approved = applyReview(request, seedUsers.bob, review(seedUsers.bob, 'APPROVED'), later);
    expect(approved.state).toBe('APPROVED');
    expect(approved.approvedRoles).toEqual(['dba']);
  });

  it('roles or resources, never both', () => {
    expectCode(
      () =>
        newAccessRequest(
          { id: 'x', user: seedUsers.alice, roles: ['dba'], resources: ['/teleport.example.com/node/x'] },
          ctx,
        ),
      'MIXED_ROLES_AND_RESOURCES',
    );
  });
});

describe('access-requests-setup.txt', () => {
  it('contractor may request dba; admin (and approver) may review; the contractor may not review', () => {
    expect(requestableRoles(seedUsers.alice, ctx)).toEqual(['dba']);
    const request = newAccessRequest({ id: 'r', user: seedUsers.alice, roles: ['dba'] }, ctx);
    expect(canReview(request, seedUsers.ivan, later)).toBe(true);
    expect(canReview(request, seedUsers.bob, later)).toBe(true);
    const otherContractor = { ...seedUsers.alice, name: 'carl' };
    expect(canReview(request, otherContractor, later)).toBe(false);
    expectCode(
      () => applyReview(request, otherContractor, review(otherContractor, 'APPROVED'), later),
      'REVIEW_NOT_ALLOWED',
    );
  });

  it('tctl request approve <id> resolves the pending request', () => {
    const request = newAccessRequest(
      { id: 'bc8ca931-fec9-4b15-9a6f-20c13c5641a9', user: seedUsers.alice, roles: ['dba'] },
      ctx,
    );
    const approved = applyResolution(request, { state: 'APPROVED', by: 'ivan' }, later);
    expect(approved).toMatchObject({ state: 'APPROVED', approvedRoles: ['dba'], resolvedBy: 'ivan' });
  });

  it('the deny.request block keeps the contractor from requesting admin', () => {
    const err = expectCode(
      () => newAccessRequest({ id: 'r', user: seedUsers.alice, roles: ['admin'] }, ctx),
      'ROLE_NOT_REQUESTABLE',
    );
    expect(err.message).toContain('"admin"');
  });

  it('tsh login --request-roles="db" --request-reason="Need access to db" keeps the reason', () => {
    const roles = seedRoles();
    roles.set('db', emptyRole('db'));
    roles.set('db-requester', {
      ...emptyRole('db-requester'),
      spec: { allow: { request: { roles: ['db'] } } },
    });
    const user = { ...seedUsers.alice, roles: ['db-requester'] };
    const request = newAccessRequest(
      { id: 'r', user, roles: ['db'], reason: 'Need access to db' },
      seedContext(undefined, roles),
    );
    expect(request.reason).toBe('Need access to db');
  });

  it('the unprivileged employee: common and dev-* requestable, reason required with the prompt', () => {
    expect(reasonRequirement(seedUsers.dave, ctx)).toEqual({
      required: true,
      prompt: 'Please provide your ticket ID',
    });
    const requestable = requestableRoles(seedUsers.dave, ctx);
    expect(requestable).toContain('common');
    expect(requestable).toContain('dev-prod');
    expect(requestable).not.toContain('dba');
    const err = expectCode(
      () => newAccessRequest({ id: 'r', user: seedUsers.dave, roles: ['common'] }, ctx),
      'REASON_REQUIRED',
    );
    expect(err.message).toContain('Please provide your ticket ID');
  });

  it('claims groups: admins may request any role in the system', () => {
    const requestable = requestableRoles(seedUsers.erin, ctx);
    expect(requestable).toEqual([...ctx.roles.keys()].filter((name) => name !== 'employee').sort());
    const request = newAccessRequest(
      { id: 'r', user: seedUsers.erin, roles: ['admin'], reason: 'TICKET-9' },
      ctx,
    );
    expect(request.roles).toEqual(['admin']);
  });

  it('annotations foo: [bar] and groups: [{{external.groups}}] reach the request', () => {
    const request = newAccessRequest(
      { id: 'r', user: seedUsers.erin, roles: ['dev-stg'], reason: 'TICKET-9' },
      ctx,
    );
    expect(request.annotations).toEqual({ foo: ['bar'], groups: ['admins'] });
  });

  it.each([
    ['dev-*', seedUsers.frank, ['dev-prod', 'dev-stg'], ['prod.us-east']],
    ['^prod.*$', seedUsers.fiona, ['prod.us-east'], ['dev-prod']],
    ['dev-{{regexp.match("us-*")}}', seedUsers.fred, ['dev-us-east-a', 'dev-us-west-b'], ['dev-prod']],
    ['dev-{{regexp.not_match("beta")}}-prod', seedUsers.felix, ['dev-alpha-prod'], ['dev-beta-prod']],
  ])('%s', (_pattern, user, allowed, refused) => {
    for (const role of allowed) {
      expect(newAccessRequest({ id: 'r', user, roles: [role] }, ctx).roles).toEqual([role]);
    }
    for (const role of refused) {
      expectCode(() => newAccessRequest({ id: 'r', user, roles: [role] }, ctx), 'ROLE_NOT_REQUESTABLE');
    }
  });

  it("tctl request deny --reason='Please be more specific' --annotations=method=cli,unix-user=$USER", () => {
    const request = newAccessRequest(
      { id: '28a3fb86-0230-439d-ad88-11cfcb213193', user: seedUsers.alice, roles: ['dba'] },
      ctx,
    );
    const denied = applyResolution(
      request,
      {
        state: 'DENIED',
        reason: 'Please be more specific',
        annotations: { method: ['cli'], 'unix-user': ['ivan'] },
        by: 'ivan',
      },
      later,
    );
    expect(denied).toMatchObject({
      state: 'DENIED',
      resolveReason: 'Please be more specific',
      resolveAnnotations: { method: ['cli'], 'unix-user': ['ivan'] },
    });
  });

  it("tctl request approve --roles=role-1,role-3 --reason='Approved, but not role-2 right now'", () => {
    const request = newAccessRequest(
      {
        id: '28a3fb86-0230-439d-ad88-11cfcb213193',
        user: seedUsers.grace,
        roles: ['role-1', 'role-2', 'role-3'],
      },
      ctx,
    );
    const byAdmin = applyResolution(
      request,
      {
        state: 'APPROVED',
        roles: ['role-1', 'role-3'],
        reason: 'Approved, but not role-2 right now',
        by: 'ivan',
      },
      later,
    );
    expect(byAdmin.approvedRoles).toEqual(['role-1', 'role-3']);
    // The same sub-selection through a review.
    const byReview = applyReview(
      request,
      seedUsers.henry,
      review(seedUsers.henry, 'APPROVED', {
        roles: ['role-1', 'role-3'],
        reason: 'Approved, but not role-2 right now',
      }),
      later,
    );
    expect(byReview.state).toBe('APPROVED');
    expect(byReview.approvedRoles).toEqual(['role-1', 'role-3']);
  });

  it("users can request multiple roles at one time: roles: ['dba','netsec','cluster-x']", () => {
    const roles = seedRoles();
    roles.set('netsec', emptyRole('netsec'));
    roles.set('cluster-x', emptyRole('cluster-x'));
    const user = { ...seedUsers.erin };
    const request = newAccessRequest(
      { id: 'r', user, roles: ['dba', 'netsec', 'cluster-x'], reason: 'r' },
      seedContext(undefined, roles),
    );
    expect(request.roles).toEqual(['dba', 'netsec', 'cluster-x']);
  });
});

describe('jit-access-overview.txt', () => {
  it('tsh request create --roles=dba --reviewers=alice,ivan --reason="ticket #123"; alice approves', () => {
    const bobRequester = { ...seedUsers.alice, name: 'bob@example.com' };
    const aliceReviewer = { ...seedUsers.bob, name: 'alice@example.com' };
    const request = newAccessRequest(
      {
        id: '9c721e54-b049-4ef8-a7f6-c777aa066764',
        user: bobRequester,
        roles: ['dba'],
        reason: 'ticket #123',
        suggestedReviewers: ['alice@example.com', 'ivan@example.com'],
      },
      ctx,
    );
    expect(request.suggestedReviewers).toEqual(['alice@example.com', 'ivan@example.com']);
    const approved = applyReview(
      request,
      aliceReviewer,
      review(aliceReviewer, 'APPROVED', { reason: 'proceed with caution' }),
      later,
    );
    expect(approved).toMatchObject({
      state: 'APPROVED',
      resolvedBy: 'alice@example.com',
      resolveReason: 'proceed with caution',
    });
  });

  it('with two approvers required, Alice then Ivan approve', () => {
    const request = newAccessRequest(
      { id: 'r', user: seedUsers.tom, roles: ['prod-db'], reason: 'ticket #123' },
      ctx,
    );
    const alice = { ...seedUsers.ruth, name: 'alice' };
    const ivan = { ...seedUsers.sam, name: 'ivan' };
    const afterAlice = applyReview(
      request,
      alice,
      review(alice, 'APPROVED', { reason: 'proceed with caution' }),
      later,
    );
    expect(afterAlice.state).toBe('PENDING');
    const afterIvan = applyReview(afterAlice, ivan, review(ivan, 'APPROVED', { reason: 'granted.' }), later);
    expect(afterIvan.state).toBe('APPROVED');
    expect(afterIvan.reviews.map((r) => [r.author, r.reason])).toEqual([
      ['alice', 'proceed with caution'],
      ['ivan', 'granted.'],
    ]);
  });
});

describe('request-access-cli.txt', () => {
  it('tsh request create --roles "dev,analyst"', () => {
    const roles = seedRoles();
    roles.set('dev', emptyRole('dev'));
    roles.set('analyst', emptyRole('analyst'));
    roles.set('data-requester', {
      ...emptyRole('data-requester'),
      spec: { allow: { request: { roles: ['dev', 'analyst'] } } },
    });
    const request = newAccessRequest(
      { id: 'r', user: { ...seedUsers.alice, roles: ['data-requester'] }, roles: ['dev', 'analyst'] },
      seedContext(undefined, roles),
    );
    expect(request.roles).toEqual(['dev', 'analyst']);
  });

  // Every resource ID the document shows, and what it names.
  it.each([
    [
      '/teleport.example.com/node/00000000-0000-0000-0000-000000000000',
      { kind: 'node', name: '00000000-0000-0000-0000-000000000000' },
    ],
    [
      '/teleport.example.com/kube:ns:pods/mycluster/dev/nginx-1',
      {
        kind: 'kube:ns:pods',
        kube: {
          scope: 'ns',
          kind: 'pods',
          apiGroup: '',
          kubeCluster: 'mycluster',
          namespace: 'dev',
          name: 'nginx-1',
        },
      },
    ],
    [
      '/teleport.example.com/kube:ns:deployments.apps/mycluster/prod/website',
      {
        kube: {
          scope: 'ns',
          kind: 'deployments',
          apiGroup: 'apps',
          kubeCluster: 'mycluster',
          namespace: 'prod',
          name: 'website',
        },
      },
    ],
    [
      '/teleport.example.com/kube:ns:pods/mycluster/*/^nginx-[a-z0-9-]+$',
      {
        kube: {
          scope: 'ns',
          kind: 'pods',
          apiGroup: '',
          kubeCluster: 'mycluster',
          namespace: '*',
          name: '^nginx-[a-z0-9-]+$',
        },
      },
    ],
    [
      '/teleport.example.com/kube:cw:namespaces/mycluster/prod',
      { kube: { scope: 'cw', kind: 'namespaces', apiGroup: '', kubeCluster: 'mycluster', name: 'prod' } },
    ],
    [
      '/teleport.example.com/kube:cw:namespaces/mycluster/^dev-[a-z0-9-]+$',
      {
        kube: {
          scope: 'cw',
          kind: 'namespaces',
          apiGroup: '',
          kubeCluster: 'mycluster',
          name: '^dev-[a-z0-9-]+$',
        },
      },
    ],
    [
      '/teleport.example.com/kube:ns:*.*/mycluster/prod/*',
      {
        kube: {
          scope: 'ns',
          kind: '*',
          apiGroup: '*',
          kubeCluster: 'mycluster',
          namespace: 'prod',
          name: '*',
        },
      },
    ],
    [
      '/teleport.example.com/kube:cw:*.*/mycluster/*',
      { kube: { scope: 'cw', kind: '*', apiGroup: '*', kubeCluster: 'mycluster', name: '*' } },
    ],
    [
      '/teleport.example.com/kube:ns:*.*/mycluster/*/*',
      {
        kube: { scope: 'ns', kind: '*', apiGroup: '*', kubeCluster: 'mycluster', namespace: '*', name: '*' },
      },
    ],
    ['/teleport.example.com/kube_cluster/mycluster', { kind: 'kube_cluster', name: 'mycluster' }],
    [
      '/teleport.example.com/kube:ns:pods/local/default/nginx-deployment-0',
      {
        kube: {
          scope: 'ns',
          kind: 'pods',
          apiGroup: '',
          kubeCluster: 'local',
          namespace: 'default',
          name: 'nginx-deployment-0',
        },
      },
    ],
    [
      '/teleport.example.com/kube:ns:pods/local/default/nginx-deployment-1',
      { kube: { name: 'nginx-deployment-1' } },
    ],
    ['/teleport.example.com/kube_cluster/local', { kind: 'kube_cluster', name: 'local' }],
  ])('%s', (id, expected) => {
    const parsed = parseResourceId(id);
    expect(parsed.cluster).toBe('teleport.example.com');
    expect(parsed).toMatchObject(expected);
  });

  it('a request for all of a namespace (cw namespace + ns *.*) and for everything in a cluster', () => {
    const namespace = newAccessRequest(
      {
        id: 'r1',
        user: seedUsers.rita,
        resources: [
          '/teleport.example.com/kube:cw:namespaces/mycluster/prod',
          '/teleport.example.com/kube:ns:*.*/mycluster/prod/*',
        ],
      },
      ctx,
    );
    expect(namespace.roles).toEqual(['access']);
    const everything = newAccessRequest(
      {
        id: 'r2',
        user: seedUsers.rita,
        resources: [
          '/teleport.example.com/kube:cw:*.*/mycluster/*',
          '/teleport.example.com/kube:ns:*.*/mycluster/*/*',
        ],
      },
      ctx,
    );
    expect(everything.resources).toHaveLength(2);
  });

  it('the two search results requested together with a reason', () => {
    const request = newAccessRequest(
      {
        id: 'r',
        user: seedUsers.kate,
        resources: [
          '/teleport.example.com/kube:ns:pods/local/default/nginx-deployment-0',
          '/teleport.example.com/kube:ns:pods/local/default/nginx-deployment-1',
        ],
        reason: 'debugging',
      },
      ctx,
    );
    expect(request.roles).toEqual(['kube-access']);
  });

  it('a malformed resource ID names itself and the expected format', () => {
    const err = expectCode(
      () =>
        newAccessRequest(
          {
            id: 'r',
            user: seedUsers.rita,
            resources: ['/teleport.example.com/kube:ns:pods/mycluster/nginx-1'],
          },
          ctx,
        ),
      'INVALID_RESOURCE_ID',
    );
    expect(err.message).toContain('/teleport.example.com/kube:ns:pods/mycluster/nginx-1');
    expect(err.message).toContain('/CLUSTER/kube:ns:KIND[.GROUP]/KUBE_CLUSTER/NAMESPACE/NAME');
  });
});

describe('resource-access-requests.md', () => {
  it('alice requests a node with a reason; the request is granted through access; bob approves', () => {
    const alice = { ...seedUsers.rita, name: 'alice' };
    const bob = { ...seedUsers.rob, name: 'bob' };
    const request = newAccessRequest(
      {
        id: 'f406f5d8-3c2a-428f-8547-a1d091a4ddab',
        user: alice,
        resources: ['/teleport.example.com/node/bbb56211-7b54-4f9e-bee9-b68ea156be5f'],
        reason: 'responding to incident 123',
      },
      ctx,
    );
    expect(request).toMatchObject({
      user: 'alice',
      roles: ['access'],
      resources: ['/teleport.example.com/node/bbb56211-7b54-4f9e-bee9-b68ea156be5f'],
      reason: 'responding to incident 123',
      suggestedReviewers: [],
      state: 'PENDING',
    });
    const approved = applyReview(request, bob, review(bob, 'APPROVED'), later);
    expect(approved.state).toBe('APPROVED');
    expect(approved.approvedRoles).toEqual(['access']);
  });

  it('a requester cannot review resource requests; the reviewer role can', () => {
    const request = newAccessRequest(
      { id: 'r', user: seedUsers.rita, resources: ['/teleport.example.com/node/x'] },
      ctx,
    );
    const otherRequester = { ...seedUsers.rita, name: 'ralph' };
    expect(canReview(request, otherRequester, later)).toBe(false);
    expect(canReview(request, seedUsers.rob, later)).toBe(true);
  });

  it('request.kubernetes_resources pods only: deployments refused, the whole cluster refused', () => {
    expect(
      newAccessRequest(
        {
          id: 'r',
          user: seedUsers.kate,
          resources: ['/teleport.example.com/kube:ns:pods/mycluster/dev/nginx-1'],
        },
        ctx,
      ).roles,
    ).toEqual(['kube-access']);
    expectCode(
      () =>
        newAccessRequest(
          {
            id: 'r',
            user: seedUsers.kate,
            resources: ['/teleport.example.com/kube:ns:deployments.apps/mycluster/prod/website'],
          },
          ctx,
        ),
      'RESOURCE_NOT_REQUESTABLE',
    );
    expectCode(
      () =>
        newAccessRequest(
          { id: 'r', user: seedUsers.kate, resources: ['/teleport.example.com/kube_cluster/mycluster'] },
          ctx,
        ),
      'RESOURCE_NOT_REQUESTABLE',
    );
  });

  it('deployments and/or pods; and any kind: *, api_group: *', () => {
    const deploy = '/teleport.example.com/kube:ns:deployments.apps/mycluster/prod/website';
    expect(newAccessRequest({ id: 'r', user: seedUsers.kim, resources: [deploy] }, ctx).state).toBe(
      'PENDING',
    );
    const secrets = '/teleport.example.com/kube:ns:secrets/mycluster/prod/db-password';
    expectCode(
      () => newAccessRequest({ id: 'r', user: seedUsers.kim, resources: [secrets] }, ctx),
      'RESOURCE_NOT_REQUESTABLE',
    );
    expect(newAccessRequest({ id: 'r', user: seedUsers.kai, resources: [secrets] }, ctx).state).toBe(
      'PENDING',
    );
  });

  // The role examples of the document, verbatim.
  it.each([
    ['aws-full-access', AWS_FULL_ACCESS],
    ['staging-access', STAGING_ACCESS],
    ['kube-access (labels)', KUBE_ACCESS_LABELS],
    ['developer (db)', DEVELOPER_DB],
    ['dev (apps)', DEV_APPS],
    ['developer (windows)', DEVELOPER_WINDOWS],
  ])('the %s role parses, keeping the keys this model does not use', (_name, yaml) => {
    const [role] = parseRolesYaml(yaml);
    expect(role!.kind).toBe('role');
    expect(Object.keys(role!.spec.allow ?? {}).length).toBeGreaterThan(0);
  });

  it('the permissions fragment without metadata is refused, naming metadata.name', () => {
    const err = expectCode(() => parseRolesYaml(NAMESPACE_PERMISSIONS_FRAGMENT), 'INVALID_ROLE');
    expect(err.details).toEqual([expect.objectContaining({ path: 'metadata' })]);
  });
});

describe('malformed YAML', () => {
  it('is INVALID_YAML with the line, and nothing is returned', () => {
    const err = expectCode(
      () => parseRolesYaml('kind: role\nmetadata:\n  name: contractor\n spec: {\n'),
      'INVALID_YAML',
    );
    expect(err.message).toMatch(/line \d+, column \d+/);
  });
});

const AWS_FULL_ACCESS = `kind: role
version: v7
metadata:
  name: aws-full-access
spec:
  allow:
    app_labels:
      env: production
    aws_role_arns:
      - 'arn:aws:iam::123456789012:role/ReadOnly'
      - 'arn:aws:iam::123456789012:role/Admin'
`;

const STAGING_ACCESS = `kind: role
version: v5
metadata:
  name: staging-access
spec:
  allow:
    node_labels:
      env: staging
    logins:
      - '{{internal.logins}}'
  options:
    # Only allows the requester to use this role for 1 hour from time of request.
    max_session_ttl: 1h
`;

const KUBE_ACCESS_LABELS = `kind: role
metadata:
  name: kube-access
version: v8
spec:
  allow:
    kubernetes_labels:
      env: staging
    kubernetes_resources:
      - kind: '*'
        namespace: '*'
        name: '*'
        api_group: '*'
  deny: {}
`;

const DEVELOPER_DB = `kind: role
version: v5
metadata:
  name: developer
spec:
  allow:
    db_labels:
      env: ["dev", "staging"]

    # Database account names this role can connect as.
    db_users: ["viewer", "editor"]
    db_names: ["*"]
`;

const DEV_APPS = `kind: role
version: v5
metadata:
  name: dev
spec:
  allow:
    app_labels:
      "*": "*"
  deny:
    app_labels:
      env: "prod"
`;

const DEVELOPER_WINDOWS = `kind: role
version: v4
metadata:
  name: developer
spec:
  allow:
    windows_desktop_labels:
      env: ["dev", "staging"]

    windows_desktop_logins: ["{{internal.windows_logins}}"]
`;

const NAMESPACE_PERMISSIONS_FRAGMENT = `kind: role
version: v8
spec:
  allow:
    kubernetes_resources:
      - kind: namespaces
        api_group: ''
        name: prod
        verbs:
          - '*'
`;
