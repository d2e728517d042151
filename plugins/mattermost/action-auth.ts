// Proof that a click or a dialog submission came through the Mattermost server, since Mattermost
// signs nothing it sends to an integration.
//
// Button: the action's `integration.context` carries an HMAC over request id, action, channel,
// post and expiry. Mattermost strips `integration` from every post it hands to clients, so only
// the server can present the context: a valid MAC means the server relayed the click, and the
// `user_id` it sent is the session user. The post id is bound from the first edit on (the first
// post cannot know its own id; its MAC binds the channel, which the server also sends).
//
// Dialog: `state` travels through the user's client, so it binds request, action, the clicking
// user, the post and a nonce under an HMAC with a short expiry; the nonce is used once.

import { randomBytes } from 'node:crypto';
import { hmacSha256Hex, safeEqual } from '../../src/plugin-sdk/index.js';

export type ReviewAction = 'approve' | 'deny';

/** What a button's `integration.context` holds. */
export interface ButtonContext {
  /** Request id. */
  r: string;
  a: ReviewAction;
  /** Channel id the post is in. */
  c: string;
  /** Post id, '' on the first post. */
  p: string;
  /** Expiry, unix seconds. */
  e: number;
  m: string;
}

/** What a dialog's `state` holds (as JSON). */
export interface DialogState {
  r: string;
  a: ReviewAction;
  /** The Mattermost user who clicked: only they may submit. */
  u: string;
  c: string;
  p: string;
  e: number;
  /** Single-use nonce. */
  n: string;
  m: string;
}

/** Dialogs are filled in by a person: long enough to think, short enough that a leaked state dies. */
export const DIALOG_TTL_SECONDS = 15 * 60;

const REQUEST_ID = /^[A-Za-z0-9_-]{1,128}$/;
const MATTERMOST_ID = /^[a-z0-9]{26}$/;

const buttonMac = (secret: string, c: Omit<ButtonContext, 'm'>) =>
  hmacSha256Hex(secret, ['accessbot-mattermost-button', c.r, c.a, c.c, c.p, String(c.e)].join('\n'));

const dialogMac = (secret: string, s: Omit<DialogState, 'm'>) =>
  hmacSha256Hex(
    secret,
    ['accessbot-mattermost-dialog', s.r, s.a, s.u, s.c, s.p, String(s.e), s.n].join('\n'),
  );

export function signButton(secret: string, fields: Omit<ButtonContext, 'm'>): ButtonContext {
  return { ...fields, m: buttonMac(secret, fields) };
}

/** Why a click or submission is refused, as the stable code its 4xx answer carries. */
export type RefusalCode = 'INVALID_SIGNATURE' | 'STALE_REQUEST' | 'FORBIDDEN';

export type Verified<T> = { ok: true; value: T } | { ok: false; code: RefusalCode; why: string };

const refuse = (code: RefusalCode, why: string) => ({ ok: false as const, code, why });

const isAction = (v: unknown): v is ReviewAction => v === 'approve' || v === 'deny';
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Checks a click's context against the channel and post the server says were clicked.
 * Every field is type-checked before the MAC is computed; the comparison is constant-time.
 */
export function verifyButton(
  secret: string,
  context: unknown,
  clicked: { channelId: string; postId: string },
  nowMs = Date.now(),
): Verified<ButtonContext> {
  const c = (typeof context === 'object' && context !== null ? context : {}) as Record<string, unknown>;
  const m = str(c.m);
  if (!m) return refuse('INVALID_SIGNATURE', 'no MAC in the action context');
  const r = str(c.r);
  const channel = str(c.c);
  const post = str(c.p);
  if (!r || !REQUEST_ID.test(r) || !isAction(c.a) || channel === undefined || post === undefined)
    return refuse('INVALID_SIGNATURE', 'malformed action context');
  if (typeof c.e !== 'number' || !Number.isInteger(c.e))
    return refuse('INVALID_SIGNATURE', 'malformed expiry');
  const fields = { r, a: c.a, c: channel, p: post, e: c.e };
  if (!safeEqual(m, buttonMac(secret, fields))) return refuse('INVALID_SIGNATURE', 'MAC mismatch');
  if (c.e * 1000 < nowMs) return refuse('STALE_REQUEST', 'the buttons have expired');
  if (channel !== clicked.channelId) return refuse('INVALID_SIGNATURE', 'clicked in another channel');
  if (post !== '' && post !== clicked.postId) return refuse('INVALID_SIGNATURE', 'clicked on another post');
  return { ok: true, value: { ...fields, m } };
}

export function signDialogState(
  secret: string,
  fields: Omit<DialogState, 'm' | 'n' | 'e'>,
  nowMs = Date.now(),
): DialogState {
  const unsigned = {
    ...fields,
    e: Math.floor(nowMs / 1000) + DIALOG_TTL_SECONDS,
    n: randomBytes(16).toString('hex'),
  };
  return { ...unsigned, m: dialogMac(secret, unsigned) };
}

/** Checks a submission's state: MAC, expiry and that the submitter is the person who clicked. */
export function verifyDialogState(
  secret: string,
  state: unknown,
  submitter: unknown,
  nowMs = Date.now(),
): Verified<DialogState> {
  let s: Record<string, unknown>;
  try {
    const parsed: unknown = typeof state === 'string' ? JSON.parse(state) : undefined;
    s = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  } catch {
    return refuse('INVALID_SIGNATURE', 'dialog state is not JSON');
  }
  const m = str(s.m);
  if (!m) return refuse('INVALID_SIGNATURE', 'no MAC in the dialog state');
  const [r, u, c, p, n] = [str(s.r), str(s.u), str(s.c), str(s.p), str(s.n)];
  if (
    !r ||
    !REQUEST_ID.test(r) ||
    !isAction(s.a) ||
    !u ||
    !MATTERMOST_ID.test(u) ||
    c === undefined ||
    p === undefined ||
    !n ||
    typeof s.e !== 'number' ||
    !Number.isInteger(s.e)
  )
    return refuse('INVALID_SIGNATURE', 'malformed dialog state');
  const fields = { r, a: s.a, u, c, p, e: s.e, n };
  if (!safeEqual(m, dialogMac(secret, fields))) return refuse('INVALID_SIGNATURE', 'MAC mismatch');
  if (s.e * 1000 < nowMs) return refuse('STALE_REQUEST', 'the dialog has expired');
  if (submitter !== u) return refuse('FORBIDDEN', 'submitted by another user than the one who clicked');
  return { ok: true, value: { ...fields, m } };
}
