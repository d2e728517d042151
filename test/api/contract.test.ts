// The served OpenAPI document is a contract: every operation is driven to its success and to
// each error status the document lists, against a running API, and every answer (status,
// content type, body, headers, each watch event) is validated against the document with a
// standard OpenAPI validator. The last test proves every documented pair was produced, so a
// status documented without being reachable, or answered without being documented, fails here.

import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/errors.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import { CONTRACTOR_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { type CallOptions, ServedDocument } from './contract/served-document.js';

/** Besides the contractor seeds: two approvals needed, a reason required, an auditor who reviews nothing. */
const EXTRA_ROLES_YAML = `
---
kind: role
version: v7
metadata:
  name: pair-requester
spec:
  allow:
    request:
      roles: ['dba']
      thresholds:
        - approve: 2
          deny: 2
---
kind: role
version: v7
metadata:
  name: careful-requester
spec:
  allow:
    request:
      roles: ['dba']
  options:
    request_access: reason
---
kind: role
version: v7
metadata:
  name: auditor
spec:
  allow:
    rules:
      - resources: ['access_request']
        verbs: ['list', 'read']
`;

/**
 * Documented codes no test here produces, each with its reason. CONFLICT on a review or a
 * resolution means eight compare-and-set attempts in a row lost to concurrent writers
 * (request-service.ts); it cannot be caused on demand without replacing the store.
 * STORAGE_FULL and STORE_UNAVAILABLE (WRITE_ERRORS) come from the one write path of the store
 * (SqliteStore.write → store-errors.ts) that createRequest drives to both below, with a capped
 * database file and a lock held by another connection. Per operation they cannot be caused on
 * demand: a capped file refuses only a write that needs a new page (a small update or a delete
 * usually does not), and every write refused for a lock first waits the store's 5 s busy timeout.
 */
const WRITE_FAULT_OPERATIONS = [
  'reviewRequest',
  'resolveRequest',
  'deleteRequest',
  'upsertUser',
  'deleteUser',
  'issueToken',
  'applyRoles',
  'deleteRole',
];
const NOT_PRODUCED = new Set([
  'reviewRequest CONFLICT',
  'resolveRequest CONFLICT',
  ...WRITE_FAULT_OPERATIONS.flatMap((op) => [`${op} STORAGE_FULL`, `${op} STORE_UNAVAILABLE`]),
]);
/** Failed authentications one source may have before 429: above the ones the tests cause on purpose. */
const AUTH_FAILURES_BUDGET = 100;
const TOO_LONG_REASON = 'r'.repeat(4097);
/** Past the 8 KiB a review's or a resolution's annotations may have (as JSON). */
const OVERSIZED_ANNOTATIONS = { note: Array.from({ length: 5 }, () => 'a'.repeat(2000)) };

let t: TestApi;
let doc: ServedDocument;
const tokens: Record<string, string> = {};
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const TOO_LONG_NAME = 'n'.repeat(254);
/** Over the API's 1 MiB body limit. */
const HUGE = 'x'.repeat(1024 * 1024 + 16);

beforeAll(async () => {
  t = await startTestApi({
    authFailuresPerWindow: AUTH_FAILURES_BUDGET,
    // Open watch streams re-check their credentials often, so one can be seen to end.
    watchTiming: { authRecheckMs: 200 },
    rolesYaml: CONTRACTOR_ROLES_YAML + EXTRA_ROLES_YAML,
    users: [
      seedUsers.alice,
      seedUsers.bob,
      seedUsers.ivan,
      { name: 'paula', roles: ['pair-requester'] },
      { name: 'cathy', roles: ['careful-requester'] },
      { name: 'walt', roles: ['auditor'] },
      { name: 'carl', roles: ['contractor'], traits: { team: ['blue'] } },
      { name: 'cora', roles: ['contractor'], traits: { team: ['blue'] } },
    ],
  });
  for (const name of ['alice', 'bob', 'ivan', 'paula', 'cathy', 'walt'])
    tokens[name] = (await t.adminClient.issueToken(name)).token;
  tokens.admin = (await t.adminClient.issueToken('admin')).token;
  doc = await ServedDocument.load(t.api.url);
});

afterAll(async () => {
  await t?.stop();
});

const as = (user: string, opts: CallOptions = {}): CallOptions => ({
  ...opts,
  token: tokens[user] as string,
});

async function expectStatus(operationId: string, opts: CallOptions, status: number, code?: string) {
  const exchange = await doc.call(operationId, opts);
  expect(exchange.status, `${operationId}: ${JSON.stringify(exchange.body)}`).toBe(status);
  if (code) expect((exchange.body as { error: { code: string } }).error.code).toBe(code);
  return exchange.body;
}

/** What every authenticated operation answers without a token and with a wrong one. */
async function expectAuthErrors(operationId: string, opts: CallOptions = {}) {
  await expectStatus(operationId, opts, 401, 'UNAUTHENTICATED');
  await expectStatus(operationId, { ...opts, token: 'abt_not-a-token' }, 401, 'INVALID_TOKEN');
}

/** What every operation with a body answers to a body too large and one of another type. */
async function expectBodyErrors(operationId: string, opts: CallOptions) {
  await expectStatus(
    operationId,
    { ...opts, rawBody: JSON.stringify({ reason: HUGE }) },
    413,
    'PAYLOAD_TOO_LARGE',
  );
  await expectStatus(
    operationId,
    { ...opts, rawBody: 'hello', contentType: 'text/plain' },
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  );
}

let approved: { id: string };
let denied: { id: string };

describe('access requests', () => {
  it('createRequest', async () => {
    approved = (await expectStatus(
      'createRequest',
      as('alice', { body: { roles: ['dba'], reason: 'ticket 1' } }),
      201,
    )) as {
      id: string;
    };
    denied = (await expectStatus(
      'createRequest',
      as('alice', { body: { roles: ['dba'], reason: 'ticket 2' } }),
      201,
    )) as {
      id: string;
    };
    await expectStatus('createRequest', as('alice', { body: {} }), 400, 'EMPTY_REQUEST');
    const refused: [object, string][] = [
      [{ roles: 'dba' }, 'VALIDATION_FAILED'],
      [{ roles: ['dba'], resources: ['/cluster/node/a'] }, 'MIXED_ROLES_AND_RESOURCES'],
      [{ roles: ['no-such-role'] }, 'UNKNOWN_ROLE'],
      [{ roles: ['dba'], reason: TOO_LONG_REASON }, 'REASON_TOO_LONG'],
      [{ roles: ['dba'], requestTtl: 'soon' }, 'INVALID_DURATION'],
    ];
    for (const [body, code] of refused) await expectStatus('createRequest', as('alice', { body }), 400, code);
    // 200 names of 253 characters: each is valid, together they pass the 32 KiB of a request.
    const manyLongRoles = Array.from({ length: 200 }, (_, i) => `r${i}`.padEnd(253, 'x'));
    await expectStatus(
      'createRequest',
      as('alice', { body: { roles: manyLongRoles } }),
      413,
      'REQUEST_TOO_LARGE',
    );
    await expectStatus('createRequest', as('cathy', { body: { roles: ['dba'] } }), 400, 'REASON_REQUIRED');
    await expectStatus(
      'createRequest',
      as('alice', { body: { resources: ['/cluster/node/a'] } }),
      403,
      'RESOURCE_NOT_REQUESTABLE',
    );
    await expectStatus(
      'createRequest',
      as('alice', { body: { resources: ['not an id'] } }),
      400,
      'INVALID_RESOURCE_ID',
    );
    await expectStatus(
      'createRequest',
      as('alice', { body: { roles: ['admin'] } }),
      403,
      'ROLE_NOT_REQUESTABLE',
    );
    await expectAuthErrors('createRequest', { body: { roles: ['dba'] } });
    await expectBodyErrors('createRequest', as('alice'));
  });

  it('reviewRequest: the review in the answer, thresholdIndexes and all, is what the document says', async () => {
    const reviewed = (await expectStatus(
      'reviewRequest',
      as('bob', { pathParams: { id: approved.id }, body: { proposedState: 'APPROVED', reason: 'ok' } }),
      200,
    )) as { reviews: { thresholdIndexes?: number[] }[] };
    expect(reviewed.reviews[0]?.thresholdIndexes).toEqual([0]);
    const opts = { pathParams: { id: denied.id } };
    await expectStatus(
      'reviewRequest',
      as('bob', { ...opts, body: { proposedState: 'APPROVED', annotations: OVERSIZED_ANNOTATIONS } }),
      413,
      'REQUEST_TOO_LARGE',
    );
    await expectStatus(
      'reviewRequest',
      as('bob', { ...opts, body: { proposedState: 'MAYBE' } }),
      400,
      'VALIDATION_FAILED',
    );
    await expectStatus(
      'reviewRequest',
      as('alice', { ...opts, body: { proposedState: 'APPROVED' } }),
      403,
      'SELF_REVIEW',
    );
    await expectStatus(
      'reviewRequest',
      as('bob', { pathParams: { id: UNKNOWN_ID }, body: { proposedState: 'APPROVED' } }),
      404,
      'REQUEST_NOT_FOUND',
    );
    await expectStatus(
      'reviewRequest',
      as('bob', { pathParams: { id: approved.id }, body: { proposedState: 'APPROVED' } }),
      409,
      'REQUEST_RESOLVED',
    );
    await expectAuthErrors('reviewRequest', { ...opts, body: { proposedState: 'APPROVED' } });
    await expectBodyErrors('reviewRequest', as('bob', opts));
  });

  it('resolveRequest', async () => {
    const opts = { pathParams: { id: denied.id } };
    await expectStatus(
      'resolveRequest',
      as('ivan', { ...opts, body: { state: 'DENIED', annotations: OVERSIZED_ANNOTATIONS } }),
      413,
      'REQUEST_TOO_LARGE',
    );
    await expectStatus(
      'resolveRequest',
      as('ivan', { ...opts, body: { state: 'DENIED', reason: 'no' } }),
      200,
    );
    await expectStatus(
      'resolveRequest',
      as('ivan', { ...opts, body: { state: 'DENIED' } }),
      409,
      'REQUEST_RESOLVED',
    );
    await expectStatus(
      'resolveRequest',
      as('ivan', { ...opts, body: { state: 'PENDING' } }),
      400,
      'VALIDATION_FAILED',
    );
    await expectStatus(
      'resolveRequest',
      as('alice', { ...opts, body: { state: 'DENIED' } }),
      403,
      'FORBIDDEN',
    );
    await expectStatus(
      'resolveRequest',
      as('ivan', { pathParams: { id: UNKNOWN_ID }, body: { state: 'DENIED' } }),
      404,
      'REQUEST_NOT_FOUND',
    );
    await expectAuthErrors('resolveRequest', { ...opts, body: { state: 'DENIED' } });
    await expectBodyErrors('resolveRequest', as('ivan', opts));
  });

  it('getRequest', async () => {
    await expectStatus('getRequest', as('alice', { pathParams: { id: approved.id } }), 200);
    await expectStatus(
      'getRequest',
      as('alice', { pathParams: { id: 'not-a-uuid' } }),
      400,
      'VALIDATION_FAILED',
    );
    await expectStatus(
      'getRequest',
      as('alice', { pathParams: { id: UNKNOWN_ID } }),
      404,
      'REQUEST_NOT_FOUND',
    );
    await expectAuthErrors('getRequest', { pathParams: { id: approved.id } });
  });

  it('listRequests: one page shape, with or without limit', async () => {
    const all = (await expectStatus('listRequests', as('alice'), 200)) as {
      requests: unknown[];
      next?: string;
    };
    expect(all.requests).toHaveLength(2);
    expect(all.next).toBeUndefined();
    const first = (await expectStatus('listRequests', as('alice', { query: { limit: '1' } }), 200)) as {
      next?: string;
    };
    expect(first.next).toBeTypeOf('string');
    await expectStatus('listRequests', as('alice', { query: { after: 'garbage' } }), 400, 'INVALID_CURSOR');
    await expectStatus('listRequests', as('alice', { query: { limit: '0' } }), 400, 'VALIDATION_FAILED');
    await expectAuthErrors('listRequests');
  });

  it('deleteRequest', async () => {
    const doomed = (await expectStatus('createRequest', as('alice', { body: { roles: ['dba'] } }), 201)) as {
      id: string;
    };
    await expectStatus('deleteRequest', as('alice', { pathParams: { id: doomed.id } }), 403, 'FORBIDDEN');
    await expectStatus('deleteRequest', as('ivan', { pathParams: { id: doomed.id } }), 204);
    await expectStatus(
      'deleteRequest',
      as('ivan', { pathParams: { id: doomed.id } }),
      404,
      'REQUEST_NOT_FOUND',
    );
    await expectStatus('deleteRequest', as('ivan', { pathParams: { id: 'nope' } }), 400, 'VALIDATION_FAILED');
    await expectAuthErrors('deleteRequest', { pathParams: { id: doomed.id } });
  });
  it('reviewRequest and resolveRequest: every refusal of the model, each with its documented status', async () => {
    const pair = (await expectStatus('createRequest', as('paula', { body: { roles: ['dba'] } }), 201)) as {
      id: string;
    };
    const opts = { pathParams: { id: pair.id } };
    const first = (await expectStatus(
      'reviewRequest',
      as('bob', { ...opts, body: { proposedState: 'APPROVED' } }),
      200,
    )) as {
      state: string;
    };
    expect(first.state).toBe('PENDING');
    await expectStatus(
      'reviewRequest',
      as('bob', { ...opts, body: { proposedState: 'APPROVED' } }),
      409,
      'ALREADY_REVIEWED',
    );
    await expectStatus(
      'reviewRequest',
      as('walt', { ...opts, body: { proposedState: 'APPROVED' } }),
      403,
      'REVIEW_NOT_ALLOWED',
    );
    await expectStatus(
      'reviewRequest',
      as('bob', { ...opts, body: { proposedState: 'APPROVED', author: 'ivan' } }),
      403,
      'REVIEW_AS_NOT_ALLOWED',
    );
    await expectStatus(
      'reviewRequest',
      as('admin', { ...opts, body: { proposedState: 'APPROVED', author: 'nobody' } }),
      404,
      'USER_NOT_FOUND',
    );
    await expectStatus(
      'reviewRequest',
      as('ivan', { ...opts, body: { proposedState: 'DENIED', roles: ['dba'] } }),
      400,
      'INVALID_REVIEW_ROLES',
    );
    await expectStatus(
      'reviewRequest',
      as('ivan', { ...opts, body: { proposedState: 'APPROVED', reason: TOO_LONG_REASON } }),
      400,
      'REASON_TOO_LONG',
    );
    await expectStatus(
      'resolveRequest',
      as('ivan', { ...opts, body: { state: 'APPROVED', roles: ['not-requested'] } }),
      400,
      'INVALID_REVIEW_ROLES',
    );
    await expectStatus(
      'resolveRequest',
      as('ivan', { ...opts, body: { state: 'APPROVED', reason: TOO_LONG_REASON } }),
      400,
      'REASON_TOO_LONG',
    );

    const brief = (await expectStatus(
      'createRequest',
      as('alice', { body: { roles: ['dba'], requestTtl: '1s' } }),
      201,
    )) as {
      id: string;
      requestExpires: string;
    };
    // Wait until the pending TTL has passed (any wait longer than that is as good).
    while (Date.now() <= Date.parse(brief.requestExpires) + 50) await new Promise((r) => setTimeout(r, 100));
    const late = { pathParams: { id: brief.id } };
    await expectStatus(
      'reviewRequest',
      as('bob', { ...late, body: { proposedState: 'APPROVED' } }),
      409,
      'REQUEST_EXPIRED',
    );
    await expectStatus(
      'resolveRequest',
      as('ivan', { ...late, body: { state: 'APPROVED' } }),
      409,
      'REQUEST_EXPIRED',
    );
  });
});

describe('directory', () => {
  it('whoami', async () => {
    await expectStatus('whoami', as('alice'), 200);
    await expectAuthErrors('whoami');
  });

  it('listUsers, getUser', async () => {
    const users = (await expectStatus('listUsers', as('admin'), 200)) as { users: unknown[]; next?: string };
    expect(users.next).toBeUndefined();
    const first = (await expectStatus('listUsers', as('admin', { query: { limit: '2' } }), 200)) as {
      users: { name: string }[];
      next?: string;
    };
    expect(first.users).toHaveLength(2);
    const second = (await expectStatus(
      'listUsers',
      as('admin', { query: { limit: '2', after: first.next as string } }),
      200,
    )) as { users: { name: string }[] };
    expect(second.users.map((u) => u.name)).toEqual(
      users.users.slice(2, 4).map((u) => (u as { name: string }).name),
    );
    await expectStatus('listUsers', as('admin', { query: { after: 'garbage' } }), 400, 'INVALID_CURSOR');
    await expectStatus('listUsers', as('admin', { query: { limit: '1001' } }), 400, 'VALIDATION_FAILED');
    await expectStatus('listUsers', as('alice'), 403, 'FORBIDDEN');
    await expectAuthErrors('listUsers');
    await expectStatus('getUser', as('alice', { pathParams: { name: 'alice' } }), 200);
    await expectStatus('getUser', as('alice', { pathParams: { name: 'bob' } }), 403, 'FORBIDDEN');
    await expectStatus('getUser', as('admin', { pathParams: { name: 'nobody' } }), 404, 'USER_NOT_FOUND');
    await expectStatus(
      'getUser',
      as('admin', { pathParams: { name: TOO_LONG_NAME } }),
      400,
      'VALIDATION_FAILED',
    );
    await expectAuthErrors('getUser', { pathParams: { name: 'alice' } });
  });

  it('lookupUser: an email alone, or a trait with its value', async () => {
    await expectStatus('lookupUser', as('admin', { query: { email: 'ALICE@example.com' } }), 200);
    await expectStatus(
      'lookupUser',
      as('admin', { query: { trait: 'team', value: 'blue' } }),
      409,
      'CONFLICT',
    );
    await expectStatus(
      'lookupUser',
      as('admin', { query: { email: 'nobody@example.com' } }),
      404,
      'USER_NOT_FOUND',
    );
    await expectStatus('lookupUser', as('admin', { query: { trait: 'team' } }), 400, 'VALIDATION_FAILED');
    await expectStatus(
      'lookupUser',
      as('admin', { query: { email: 'alice@example.com', trait: 'team', value: 'blue' } }),
      400,
      'VALIDATION_FAILED',
    );
    await expectStatus('lookupUser', as('alice', { query: { email: 'bob@example.com' } }), 403, 'FORBIDDEN');
    await expectAuthErrors('lookupUser', { query: { email: 'alice@example.com' } });
  });

  it('upsertUser, deleteUser', async () => {
    const dan = { name: 'dan', email: 'dan@example.com', roles: ['contractor'] };
    await expectStatus('upsertUser', as('admin', { body: dan }), 200);
    await expectStatus(
      'upsertUser',
      as('admin', { body: { ...dan, name: 'bad name!' } }),
      400,
      'VALIDATION_FAILED',
    );
    await expectStatus(
      'upsertUser',
      as('admin', { body: { ...dan, roles: ['no-such-role'] } }),
      400,
      'UNKNOWN_ROLE',
    );
    await expectStatus(
      'upsertUser',
      as('admin', { body: { ...dan, email: 'alice@example.com' } }),
      409,
      'CONFLICT',
    );
    await expectStatus('upsertUser', as('alice', { body: dan }), 403, 'FORBIDDEN');
    await expectAuthErrors('upsertUser', { body: dan });
    await expectBodyErrors('upsertUser', as('admin'));

    await expectStatus('deleteUser', as('alice', { pathParams: { name: 'dan' } }), 403, 'FORBIDDEN');
    await expectStatus('deleteUser', as('admin', { pathParams: { name: 'dan' } }), 204);
    await expectStatus('deleteUser', as('admin', { pathParams: { name: 'dan' } }), 404, 'USER_NOT_FOUND');
    await expectStatus(
      'deleteUser',
      as('admin', { pathParams: { name: TOO_LONG_NAME } }),
      400,
      'VALIDATION_FAILED',
    );
    await expectAuthErrors('deleteUser', { pathParams: { name: 'dan' } });
  });

  it('a name of the documented maximum (253 characters) reaches the route, one longer is VALIDATION_FAILED', async () => {
    const longest = 'l'.repeat(253);
    await expectStatus('upsertUser', as('admin', { body: { name: longest, roles: ['contractor'] } }), 200);
    expect(await expectStatus('getUser', as('admin', { pathParams: { name: longest } }), 200)).toMatchObject({
      name: longest,
    });
    await expectStatus('deleteUser', as('admin', { pathParams: { name: longest } }), 204);
    await expectStatus(
      'getUser',
      as('admin', { pathParams: { name: `${longest}l` } }),
      400,
      'VALIDATION_FAILED',
    );
    await expectStatus(
      'getUser',
      as('admin', { pathParams: { name: 'x'.repeat(5000) } }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('issueToken', async () => {
    const opts = { pathParams: { name: 'bob' } };
    await expectStatus(
      'issueToken',
      as('admin', { ...opts, body: { ttl: '1h', description: 'contract' } }),
      201,
    );
    await expectStatus(
      'issueToken',
      as('admin', { ...opts, body: { ttl: 'soon' } }),
      400,
      'INVALID_DURATION',
    );
    await expectStatus('issueToken', as('admin', { ...opts, body: { ttl: 5 } }), 400, 'VALIDATION_FAILED');
    await expectStatus('issueToken', as('alice', { ...opts, body: {} }), 403, 'FORBIDDEN');
    await expectStatus(
      'issueToken',
      as('admin', { pathParams: { name: 'nobody' }, body: {} }),
      404,
      'USER_NOT_FOUND',
    );
    await expectAuthErrors('issueToken', { ...opts, body: {} });
    await expectBodyErrors('issueToken', as('admin', opts));
  });

  it('listRoles, applyRoles (JSON and YAML), deleteRole', async () => {
    const rolesFirst = (await expectStatus('listRoles', as('admin', { query: { limit: '1' } }), 200)) as {
      roles: unknown[];
      next?: string;
    };
    expect(rolesFirst.roles).toHaveLength(1);
    expect(rolesFirst.next).toBeTypeOf('string');
    // A users cursor is not a roles cursor.
    const usersCursor = (
      (await expectStatus('listUsers', as('admin', { query: { limit: '1' } }), 200)) as { next: string }
    ).next;
    await expectStatus('listRoles', as('admin', { query: { after: usersCursor } }), 400, 'INVALID_CURSOR');
    await expectStatus('listRoles', as('admin', { query: { limit: '0' } }), 400, 'VALIDATION_FAILED');
    await expectStatus('listRoles', as('admin'), 200);
    await expectStatus('listRoles', as('alice'), 403, 'FORBIDDEN');
    await expectAuthErrors('listRoles');

    const temp = { kind: 'role', version: 'v7', metadata: { name: 'temp' }, spec: {} };
    await expectStatus('applyRoles', as('admin', { body: [temp] }), 200);
    for (const contentType of ['application/yaml', 'application/x-yaml', 'text/yaml']) {
      await expectStatus(
        'applyRoles',
        as('admin', {
          rawBody: 'kind: role\nversion: v7\nmetadata:\n  name: temp-yaml\nspec: {}\n',
          contentType,
        }),
        200,
      );
    }
    await expectStatus(
      'applyRoles',
      as('admin', { rawBody: 'kind: [role', contentType: 'application/yaml' }),
      400,
      'INVALID_YAML',
    );
    await expectStatus('applyRoles', as('admin', { body: [{ kind: 'role' }] }), 400, 'INVALID_ROLE');
    await expectStatus('applyRoles', as('admin', { body: 'kind: role' }), 400, 'VALIDATION_FAILED');
    await expectStatus('applyRoles', as('alice', { body: [temp] }), 403, 'FORBIDDEN');
    await expectAuthErrors('applyRoles', { body: [temp] });
    await expectBodyErrors('applyRoles', as('admin'));

    await expectStatus('deleteRole', as('alice', { pathParams: { name: 'temp' } }), 403, 'FORBIDDEN');
    await expectStatus('deleteRole', as('admin', { pathParams: { name: 'temp' } }), 204);
    await expectStatus('deleteRole', as('admin', { pathParams: { name: 'temp' } }), 404, 'ROLE_NOT_FOUND');
    await expectStatus('deleteRole', as('admin', { pathParams: { name: 'contractor' } }), 409, 'CONFLICT');
    await expectStatus(
      'deleteRole',
      as('admin', { pathParams: { name: TOO_LONG_NAME } }),
      400,
      'VALIDATION_FAILED',
    );
    await expectAuthErrors('deleteRole', { pathParams: { name: 'temp' } });
  });
});

describe('store faults', () => {
  it('createRequest: 503 STORE_UNAVAILABLE while another process holds the write lock', async () => {
    const other = new Database(`${t.dataDir}/accessbot.db`);
    try {
      other.exec('BEGIN IMMEDIATE');
      await expectStatus(
        'createRequest',
        as('alice', { body: { roles: ['dba'] } }),
        503,
        'STORE_UNAVAILABLE',
      );
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await expectStatus('createRequest', as('alice', { body: { roles: ['dba'] } }), 201);
  }, 30_000);

  it('createRequest and readiness: 507 STORAGE_FULL on a full disk, ready again once there is room', async () => {
    const store = t.api.store as SqliteStore;
    const { size } = await import('node:fs').then((fs) => fs.statSync(`${t.dataDir}/accessbot.db`));
    // SQLite's own page cap makes the next growth fail with SQLITE_FULL, as a full disk does.
    store.capFileSize(size);
    let full = false;
    for (let i = 0; i < 200 && !full; i++) {
      const exchange = await doc.call(
        'createRequest',
        as('alice', { body: { roles: ['dba'], reason: `${i} `.padEnd(4096, 'y') } }),
      );
      if (exchange.status === 507) full = true;
      else expect(exchange.status, JSON.stringify(exchange.body)).toBe(201);
    }
    expect(full).toBe(true);
    await expectStatus('ready', {}, 507, 'STORAGE_FULL');
    store.capFileSize(1024 * 1024 * 1024);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the probe runs at most once a second
    await expectStatus('ready', {}, 200);
  }, 120_000);
});

describe('events and meta', () => {
  it('latestSeq', async () => {
    const { seq } = (await expectStatus('latestSeq', as('admin'), 200)) as { seq: number };
    expect(seq).toBeGreaterThan(0);
    await expectStatus('latestSeq', as('alice'), 403, 'FORBIDDEN');
    await expectAuthErrors('latestSeq');
  });

  it('watch: every event of the replay matches the documented event, reviews included', async () => {
    const events = await doc.watchEvents(as('admin', { query: { since: '0' } }), 3);
    expect(events.map((e) => e.event)).toEqual(['put', 'put', 'put']);
    const resumed = await doc.watchEvents(
      as('admin', { headers: { 'last-event-id': events[1]?.id ?? '' } }),
      1,
    );
    expect(resumed[0]?.id).toBe(events[2]?.id);
    await expectStatus('watch', as('admin', { query: { since: 'abc' } }), 400, 'VALIDATION_FAILED');
    await expectStatus(
      'watch',
      as('admin', { headers: { 'last-event-id': '999999' } }),
      400,
      'INVALID_CURSOR',
    );
    await expectStatus('watch', as('alice'), 403, 'FORBIDDEN');
    await expectAuthErrors('watch');
  });

  it('watch: a stream whose user is deleted ends with the documented error event', async () => {
    await expectStatus('upsertUser', as('admin', { body: { name: 'wanda', roles: ['auditor'] } }), 200);
    const wanda = (await expectStatus(
      'issueToken',
      as('admin', { pathParams: { name: 'wanda' }, body: {} }),
      201,
    )) as { token: string };
    const { seq } = (await expectStatus('latestSeq', as('admin'), 200)) as { seq: number };
    const watching = doc.watchEvents({ token: wanda.token, query: { since: String(seq) } }, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expectStatus('deleteUser', as('admin', { pathParams: { name: 'wanda' } }), 204);
    const [last] = await watching;
    expect(last).toMatchObject({ event: 'error', data: { error: { code: 'INVALID_TOKEN' } } });
    expect(last?.id).toBeUndefined();
  });

  it('health, readiness and the document', async () => {
    expect(await expectStatus('health', {}, 200)).toEqual({ ok: true });
    expect(await expectStatus('ready', {}, 200)).toMatchObject({ ok: true });
    const served = (await expectStatus('openapi', {}, 200)) as { info: { version: string } };
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(served.info.version).toBe(pkg.version);
  });

  it('watch: a cursor in the pruned part of the log is 410 CURSOR_EXPIRED', async () => {
    await t.api.store.pruneEventsBefore(new Date(Date.now() + 60_000));
    await expectStatus('watch', as('admin', { query: { since: '0' } }), 410, 'CURSOR_EXPIRED');
  });

  it('a store that fails: 500 INTERNAL from every operation that reads it, 503 from readiness', async () => {
    await t.api.store.close();
    for (const operationId of new Set(doc.documentedPairs().map((pair) => pair.split(' ')[0] as string))) {
      const op = doc.operation(operationId);
      if (!op.responses?.['500']) continue;
      const exchange = await doc.call(
        operationId,
        as('admin', { pathParams: { id: UNKNOWN_ID, name: 'alice' } }),
      );
      expect(exchange.status, operationId).toBe(500);
    }
    await expectStatus('ready', {}, 503, 'STORE_UNAVAILABLE');
    await expectStatus('health', {}, 200);
  });
});

describe('throttled sources', () => {
  it('every authenticated operation: 429 TOO_MANY_FAILED_AUTH with Retry-After once a source failed too often', async () => {
    // Without a token (the store is closed by now; a missing token is refused before any lookup).
    for (let i = 0; i < AUTH_FAILURES_BUDGET; i++) {
      const exchange = await doc.call('whoami', {});
      if (exchange.status === 429) break;
    }
    for (const operationId of new Set(doc.documentedPairs().map((pair) => pair.split(' ')[0] as string))) {
      if (!doc.operation(operationId).responses?.['429']) continue;
      // A valid token too: the source is refused before any token is looked up.
      const exchange = await doc.call(
        operationId,
        as('admin', { pathParams: { id: UNKNOWN_ID, name: 'alice' } }),
      );
      expect(exchange.status, operationId).toBe(429);
      expect((exchange.body as { error: { code: string } }).error.code).toBe('TOO_MANY_FAILED_AUTH');
      expect(Number(exchange.headers['retry-after'])).toBeGreaterThan(0);
    }
  });
});

it('every documented (operation, status) pair was produced and validated', () => {
  // A status whose every documented code is NOT_PRODUCED (and explained there) is excused.
  const producible = new Set(
    doc
      .documentedCodes()
      .filter((pair) => !NOT_PRODUCED.has(pair))
      .map((pair) => {
        const [operationId, code] = pair.split(' ') as [string, ErrorCode];
        return `${operationId} ${ERROR_CODES[code]}`;
      }),
  );
  const missing = doc
    .documentedPairs()
    .filter((pair) => !doc.covered.has(pair))
    .filter((pair) => Number(pair.split(' ')[1]) < 400 || producible.has(pair));
  expect(missing).toEqual([]);
});

it('every documented (operation, error code) pair was produced, but those NOT_PRODUCED explains', () => {
  const missing = doc.documentedCodes().filter((pair) => !doc.coveredCodes.has(pair));
  expect(missing.sort()).toEqual([...NOT_PRODUCED].sort());
});
