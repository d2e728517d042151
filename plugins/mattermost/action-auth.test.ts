import { describe, expect, it } from 'vitest';
import { signButton, signDialogState, verifyButton, verifyDialogState } from './action-auth.js';

const SECRET = 'unit-test-action-secret-0123456789';
const CHANNEL = 'c'.repeat(26);
const POST = 'p'.repeat(26);
const USER = 'u'.repeat(26);
const now = Date.now();
const inAnHour = Math.floor(now / 1000) + 3600;

describe('button contexts', () => {
  const context = signButton(SECRET, { r: 'req-1', a: 'approve', c: CHANNEL, p: POST, e: inAnHour });
  const clicked = { channelId: CHANNEL, postId: POST };

  it('a context the plugin signed, clicked on its own post, is accepted', () => {
    expect(verifyButton(SECRET, context, clicked, now)).toMatchObject({
      ok: true,
      value: { r: 'req-1', a: 'approve' },
    });
  });

  it('a first-post context (no post id yet) is accepted on any post of its channel only', () => {
    const first = signButton(SECRET, { r: 'req-1', a: 'deny', c: CHANNEL, p: '', e: inAnHour });
    expect(verifyButton(SECRET, first, clicked, now).ok).toBe(true);
    expect(verifyButton(SECRET, first, { channelId: 'x'.repeat(26), postId: POST }, now)).toMatchObject({
      ok: false,
      code: 'INVALID_SIGNATURE',
    });
  });

  it.each([
    ['another request', { r: 'req-2' }],
    ['the other action', { a: 'deny' }],
    ['another channel', { c: 'x'.repeat(26) }],
    ['another post', { p: 'y'.repeat(26) }],
    ['a later expiry', { e: inAnHour + 1 }],
    ['a guessed MAC', { m: '0'.repeat(64) }],
    ['no MAC', { m: undefined }],
    ['a non-numeric expiry', { e: String(inAnHour) }],
  ])('a context changed to %s is refused', (_what, change) => {
    expect(verifyButton(SECRET, { ...context, ...change }, clicked, now)).toMatchObject({
      ok: false,
      code: 'INVALID_SIGNATURE',
    });
  });

  it('a context signed with another secret, or no context at all, is refused', () => {
    const other = signButton('another-secret-0123456789abcdef', {
      r: 'req-1',
      a: 'approve',
      c: CHANNEL,
      p: POST,
      e: inAnHour,
    });
    expect(verifyButton(SECRET, other, clicked, now).ok).toBe(false);
    expect(verifyButton(SECRET, undefined, clicked, now).ok).toBe(false);
    expect(verifyButton(SECRET, 'a string', clicked, now).ok).toBe(false);
  });

  it('a context moved to another post of the same channel is refused once the post id is bound', () => {
    expect(verifyButton(SECRET, context, { channelId: CHANNEL, postId: 'z'.repeat(26) }, now).ok).toBe(false);
  });

  it('expired buttons are refused as stale', () => {
    const old = signButton(SECRET, {
      r: 'req-1',
      a: 'approve',
      c: CHANNEL,
      p: POST,
      e: Math.floor(now / 1000) - 1,
    });
    expect(verifyButton(SECRET, old, clicked, now)).toMatchObject({ ok: false, code: 'STALE_REQUEST' });
  });
});

describe('dialog states', () => {
  const state = signDialogState(SECRET, { r: 'req-1', a: 'deny', u: USER, c: CHANNEL, p: POST }, now);

  it('accepts the state from the user who clicked, each state with its own nonce', () => {
    expect(verifyDialogState(SECRET, JSON.stringify(state), USER, now)).toMatchObject({
      ok: true,
      value: { n: state.n },
    });
    const again = signDialogState(SECRET, { r: 'req-1', a: 'deny', u: USER, c: CHANNEL, p: POST }, now);
    expect(again.n).not.toBe(state.n);
  });

  it('refuses a submission by another user', () => {
    expect(verifyDialogState(SECRET, JSON.stringify(state), 'v'.repeat(26), now)).toMatchObject({
      ok: false,
      code: 'FORBIDDEN',
    });
  });

  it.each([
    ['request', { r: 'req-2' }],
    ['action', { a: 'approve' }],
    ['user', { u: 'w'.repeat(26) }],
    ['nonce', { n: 'f'.repeat(32) }],
    ['expiry', { e: state.e + 60 }],
  ])('refuses a state whose %s was changed', (_what, change) => {
    const changed = { ...state, ...change };
    expect(verifyDialogState(SECRET, JSON.stringify(changed), changed.u, now)).toMatchObject({
      ok: false,
      code: 'INVALID_SIGNATURE',
    });
  });

  it('refuses an expired state, and states that are not JSON objects', () => {
    expect(verifyDialogState(SECRET, JSON.stringify(state), USER, now + 16 * 60_000)).toMatchObject({
      ok: false,
      code: 'STALE_REQUEST',
    });
    for (const bad of ['not json', '[]', 'null', undefined, 42]) {
      expect(verifyDialogState(SECRET, bad, USER, now).ok).toBe(false);
    }
  });
});
