// Every page of every walk is one range read of an index (checked with EXPLAIN QUERY PLAN), so a
// full walk reads each row once: O(n), never a read-and-sort of all matching rows per page.
// A plan that says "TEMP B-TREE" sorts every matching row; one that says "SCAN" reads the table.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRequest, RequestState } from '../../src/access/types.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { request as storedRequest } from '../store/conformance/fixtures.js';

let dir: string;
let store: SqliteStore;

function request(n: number, state: RequestState, user: string): AccessRequest {
  const expires = new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString();
  return storedRequest(`r${n}`, 1, state, { user, requestExpires: expires, accessExpires: expires });
}

const STATES: RequestState[] = ['PENDING', 'APPROVED', 'DENIED', 'EXPIRED'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'accessbot-plan-'));
  store = new SqliteStore({ path: join(dir, 'accessbot.db') });
  // Mixed states and users, so a filter that is not answered by its index would show.
  for (let n = 0; n < 400; n++)
    await store.createRequest(request(n, STATES[n % 4] as RequestState, n % 3 ? 'alice' : 'bob'));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A plan with one range search, no table scan and no sort. */
function expectRangeRead(plan: string[], range: RegExp): void {
  const text = plan.join('\n');
  expect(text).toMatch(/SEARCH/);
  expect(text).toMatch(range);
  expect(text).not.toMatch(/TEMP B-TREE/);
  expect(text).not.toMatch(/\bSCAN (requests|events|users)\b/);
}

describe('request pages', () => {
  const cases: { name: string; state?: RequestState; user?: string; range: RegExp }[] = [
    { name: 'PENDING (the reconcile walk)', state: 'PENDING', range: /\(state=\? AND rowid>\?\)/ },
    { name: "a user's requests", user: 'alice', range: /\(user=\? AND rowid>\?\)/ },
    {
      name: "a user's requests in one state",
      user: 'alice',
      state: 'PENDING',
      range: /\(user=\? AND state=\? AND rowid>\?\)/,
    },
    { name: 'every request', range: /INTEGER PRIMARY KEY \(rowid>\?\)/ },
  ];
  for (const c of cases) {
    it(`${c.name}: each page is a range read in position order`, async () => {
      const query = {
        ...(c.state ? { state: c.state } : {}),
        ...(c.user ? { user: c.user } : {}),
        after: 0,
        limit: 7,
      };
      expectRangeRead(store.explainRequestsPage(query), c.range);

      // And the walk itself: every matching request once, in position order.
      const seen: string[] = [];
      for (let after = 0, guard = 0; guard < 1000; guard++) {
        const page = await store.listRequestsPage({ ...query, after });
        if (page.length === 0) break;
        for (const row of page) {
          expect(row.request.state === (c.state ?? row.request.state)).toBe(true);
          expect(row.request.user === (c.user ?? row.request.user)).toBe(true);
          seen.push(row.request.id);
        }
        after = (page.at(-1) as { position: number }).position;
      }
      const expected = Array.from({ length: 400 }, (_, n) => n)
        .filter((n) => !c.state || STATES[n % 4] === c.state)
        .filter((n) => !c.user || (n % 3 ? 'alice' : 'bob') === c.user)
        .map((n) => `r${n}`);
      expect(seen).toEqual(expected);
    });
  }
});

describe('fixed statements', () => {
  it('the due query and the backlog metric read the due range of (state, request_expires)', () => {
    for (const name of ['dueRequests', 'dueCount', 'oldestDue'] as const)
      expectRangeRead(store.explainStatement(name), /\(state=\? AND request_expires<\?\)/);
  });

  it('the watch log reads by seq range', () => {
    expectRangeRead(store.explainStatement('eventsSince'), /INTEGER PRIMARY KEY \(rowid>\?\)/);
  });

  it('the pruner finds old events through the time index', () => {
    expectRangeRead(store.explainStatement('pruneEvents'), /events_at \(at<\?\)/);
  });

  it('users are paged by name range', () => {
    expectRangeRead(store.explainStatement('usersPage'), /\(name>\?\)/);
  });
});
