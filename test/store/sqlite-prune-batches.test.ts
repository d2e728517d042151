// SqliteStore alone, where the driver answers synchronously: a long prune must not hold the
// event loop. Every behaviour both backends share is in the store conformance suite
// (test/store/conformance).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { request } from './conformance/fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'accessbot-store-'));
  dirs.push(dir);
  return join(dir, 'nested', 'accessbot.db');
}

it('prunes old events in small batches, letting other work in between, and keeps the newer ones', async () => {
  let clock = new Date('2026-01-01T00:00:00Z');
  const store = new SqliteStore({ path: tempDb(), now: () => clock });
  for (let n = 0; n < 1234; n++) await store.createRequest(request(`old-${n}`));
  clock = new Date('2026-02-01T00:00:00Z');
  for (let n = 0; n < 5; n++) await store.createRequest(request(`new-${n}`));

  let done = false;
  const pruning = store.pruneEventsBefore(new Date('2026-01-15T00:00:00Z')).then((n) => {
    done = true;
    return n;
  });
  // Other work runs between batches: the prune is part-way, not one long block.
  await new Promise((resolve) => setImmediate(resolve));
  expect(done).toBe(false);
  const partWay = (await store.firstSeq()) as number;
  expect(partWay).toBeGreaterThan(1);
  expect(partWay).toBeLessThan(1235);

  expect(await pruning).toBe(1234);
  expect(await store.firstSeq()).toBe(1235);
  expect(await store.latestSeq()).toBe(1239);
  await store.close();
});
