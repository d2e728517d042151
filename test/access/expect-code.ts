// Assert that a call fails with a given stable error code (never by matching messages,
// except where a test is about what the message tells the user).

import { expect } from 'vitest';
import { AccessbotError, type ErrorCode } from '../../src/errors.js';

export function expectCode(fn: () => unknown, code: ErrorCode): AccessbotError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected ${code} to be thrown`).toBeInstanceOf(AccessbotError);
  expect((thrown as AccessbotError).code).toBe(code);
  return thrown as AccessbotError;
}
