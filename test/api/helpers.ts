// Small assertions shared by the API suites.

import { expect } from 'vitest';
import type { HttpAccessClient } from '../../src/client/http-access-client.js';
import { AccessbotError, type ErrorCode } from '../../src/errors.js';

/** Awaits a call that must fail with `code` (the stable code, never the message). */
export async function expectRejectCode(call: Promise<unknown>, code: ErrorCode): Promise<AccessbotError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(AccessbotError);
  expect((err as AccessbotError).code).toBe(code);
  return err as AccessbotError;
}

/** Everything a refused call must leave untouched. */
export async function snapshot(admin: HttpAccessClient) {
  return {
    seq: await admin.latestSeq(),
    requests: await admin.listRequests(),
    roles: await admin.listRoles(),
    users: await admin.listUsers(),
  };
}

/** Polls until `check` returns a value (not undefined), failing after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
