// Size limits every layer can carry: one request (reason, how many roles/resources and their
// bytes, review annotations) and one page (a count and a byte budget: a page of large requests
// stops early and says where to continue). Refusals are 413 with a stable code and change nothing.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUESTED_BYTES } from '../../src/access/limits.js';
import { MAX_PAGE_BYTES } from '../../src/api/limits.js';
import type { HttpAccessClient } from '../../src/client/http-access-client.js';
import { RESOURCE_ROLES_YAML, seedUsers } from '../access/fixtures.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { maxSizeRequest } from '../support/max-request.js';
import { expectRejectCode, snapshot } from './helpers.js';

let t: TestApi;
let rita: HttpAccessClient;
let rob: HttpAccessClient;

beforeAll(async () => {
  t = await startTestApi({ rolesYaml: RESOURCE_ROLES_YAML, users: [seedUsers.rita, seedUsers.rob] });
  rita = await t.clientFor('rita');
  rob = await t.clientFor('rob');
});
afterAll(async () => {
  await t?.stop();
});

describe('one request', () => {
  it('accepts the maximum-size request', async () => {
    const created = await rita.createRequest(maxSizeRequest('ok'));
    expect(created.resources).toHaveLength(256);
  });

  it('refuses 256 resource IDs of 1 KB (256 KB) with REQUEST_TOO_LARGE and writes nothing', async () => {
    const before = await snapshot(t.adminClient);
    const resources = Array.from({ length: 256 }, (_, i) => `/cluster/node/${String(i).padEnd(1000, 'x')}`);
    const err = await expectRejectCode(rita.createRequest({ resources, reason: 'big' }), 'REQUEST_TOO_LARGE');
    expect(err.status).toBe(413);
    expect(err.message).toContain(String(MAX_REQUESTED_BYTES));
    expect(await snapshot(t.adminClient)).toEqual(before);
  });

  it('refuses review annotations past their budget', async () => {
    const created = await rita.createRequest({ resources: ['/cluster/node/web-1'], reason: 'r' });
    const annotations = { note: Array.from({ length: 8 }, () => 'a'.repeat(2000)) };
    await expectRejectCode(
      rob.submitReview(created.id, { proposedState: 'APPROVED', annotations }),
      'REQUEST_TOO_LARGE',
    );
    expect((await t.adminClient.getRequest(created.id)).reviews).toHaveLength(0);
  });
});

describe('pages', () => {
  let ids: string[];
  beforeAll(async () => {
    ids = (await t.adminClient.listRequests()).map((r) => r.id);
    // ~38 KB each: 150 of them are ~5.7 MB, more than one page may carry.
    for (let i = 0; i < 150; i++) ids.push((await rita.createRequest(maxSizeRequest(i))).id);
  }, 120_000);

  it('a page of the maximum count stops at the byte budget and says where to continue', async () => {
    const token = readFileSync(t.api.adminTokenFile, 'utf8').trim();
    const res = await fetch(`${t.api.url}/v1/requests?limit=1000`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const text = await res.text();
    const page = JSON.parse(text) as { requests: { id: string }[]; next?: string };
    expect(res.status).toBe(200);
    expect(page.next).toBeDefined();
    expect(page.requests.length).toBeLessThan(ids.length);
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_PAGE_BYTES + 64 * 1024);
  });

  it('following next lists every request exactly once, for the client and for the requester', async () => {
    expect((await t.adminClient.listRequests()).map((r) => r.id)).toEqual(ids);
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await rita.listRequestsPage({ limit: 1000, ...(after ? { after } : {}) });
      seen.push(...page.requests.map((r) => r.id));
      after = page.next;
      pages++;
    } while (after);
    expect(seen).toEqual(ids);
    expect(pages).toBeGreaterThan(1);
  });

  it('without limit the default page stops at the byte budget too, and says where to continue', async () => {
    const token = readFileSync(t.api.adminTokenFile, 'utf8').trim();
    const res = await fetch(`${t.api.url}/v1/requests`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    const page = JSON.parse(text) as { requests: { id: string }[]; next?: string };
    expect(res.status).toBe(200);
    expect(page.next).toBeDefined();
    expect(page.requests.map((r) => r.id)).toEqual(ids.slice(0, page.requests.length));
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_PAGE_BYTES + 64 * 1024);
  });
});
