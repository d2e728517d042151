// Signing in on the review page without a mail link, under /hooks/<id>/:
//   GET  /sign-in?t=TOKEN  a login link (`accessbot users login-link NAME`, through the host's
//                          `/sign-in`): the token moves into an HttpOnly cookie and the address
//                          loses it; opening the link signs nobody in (mail scanners open links);
//   GET  /sign-in          the form: "Sign in" for a login link, or a field to paste an API token;
//   POST /sign-in          same origin + CSRF; the API checks the token (whoami as its holder);
//                          a login link's token signs in once; a short-lived session cookie;
//   GET  /requests         what the signed-in reviewer may review, each a link to the page below;
//   GET  /review?r=ID      the review page for that request, with the form;
//   POST /review?r=ID      same origin + CSRF bound to the session and request: `ctx.decide` as
//                          the signed-in person, marked `signedIn` (step-up roles need it);
//   POST /sign-out         ends the session.

import { randomBytes } from 'node:crypto';
import {
  type Card,
  DECISION_STATUS,
  type InboundRequest,
  type InboundResponse,
  type InboundRoute,
  type PluginContext,
} from '../../src/plugin-sdk/index.js';
import { type EmailConfig, MAX_PAGE_REASON_LENGTH } from './config.js';
import { cookieOf, formRefusal } from './form-guard.js';
import type { ReviewLinks } from './links.js';
import { renderPage } from './page.js';
import { SESSION_TTL_S, type Session, type Sessions } from './sessions.js';

export const SIGN_IN_PATH = '/sign-in';
export const REQUESTS_PATH = '/requests';
export const SIGN_OUT_PATH = '/sign-out';

const SESSION_COOKIE = 'accessbot_session';
const LOGIN_COOKIE = 'accessbot_login';
const NONCE_COOKIE = 'accessbot_sign_in';
/** How long an opened login link or a shown sign-in form waits for its button. */
const FORM_COOKIE_MAX_AGE_S = 600;
/** A login link's "used" mark outlives the longest login link (`users login-link --ttl`, 1 h). */
const LOGIN_USED_TTL_S = 2 * 3600;
/** API tokens are one word of visible ASCII; the form's field takes at most this many. */
const MAX_TOKEN_LENGTH = 512;
const TOKEN_SHAPE = /^[!-~]{1,512}$/;
/** A login link's token goes into a cookie: only characters that cannot end or extend it. */
const LINK_TOKEN_SHAPE = /^[A-Za-z0-9_.~-]{1,512}$/;
const NONCE_SHAPE = /^[A-Za-z0-9_-]{22}$/;
const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

export interface SignInRouteDeps {
  ctx: PluginContext<EmailConfig>;
  links: ReviewLinks;
  sessions: Sessions;
  /** Absolute base of this plugin's hooks, from host.public_url. */
  base: string;
  reviewPath: string;
}

export interface SignedInPages {
  routes: InboundRoute[];
  /** `GET /review?r=ID` for a signed-in reviewer. */
  showRequest(req: InboundRequest): Promise<InboundResponse>;
  /** `POST /review?r=ID` for a signed-in reviewer. */
  decideRequest(req: InboundRequest): Promise<InboundResponse>;
}

export function signInPages(deps: SignInRouteDeps): SignedInPages {
  const { ctx, links, sessions, base, reviewPath } = deps;
  const publicOrigin = new URL(base).origin;
  const secure = base.startsWith('https:');
  const cookiePath = new URL(`${base}/`).pathname;
  const pathOf = (path: string) => new URL(`${base}${path}`).pathname;
  const stylesheet = `${base}/review.css`;
  const page = (input: Parameters<typeof renderPage>[0]) => renderPage(input, stylesheet);
  const cookie = (name: string, value: string, maxAge: number) =>
    `${name}=${value}; Path=${cookiePath}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  const redirect = (path: string, cookies: string[] = []): InboundResponse => ({
    status: 303,
    headers: {
      location: `${base}${path}`,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-robots-tag': 'noindex, nofollow',
      ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}),
    },
  });
  const whoBar = (session: Session) => ({
    name: session.name,
    listHref: pathOf(REQUESTS_PATH),
    signOutAction: pathOf(SIGN_OUT_PATH),
  });
  const sessionOf = (req: InboundRequest) => sessions.find(cookieOf(req, SESSION_COOKIE));
  const refused = (why: string, status = 403) => {
    ctx.log.warn({ why }, 'refused a sign-in page form');
    return page({
      status,
      title: 'This form could not be accepted',
      notice: 'Nothing was recorded. Open the page again and use its buttons.',
    });
  };

  async function signInForm(req: InboundRequest, status = 200, notice?: string): Promise<InboundResponse> {
    const given = cookieOf(req, NONCE_COOKIE);
    const nonce = given && NONCE_SHAPE.test(given) ? given : randomBytes(16).toString('base64url');
    const response = page({
      status,
      title: 'Sign in to review access requests',
      notice:
        notice ??
        'Sign in with the login link an administrator gave you (accessbot users login-link), or paste your accessbot API token.',
      signIn: {
        action: pathOf(SIGN_IN_PATH),
        csrf: await links.mac(`sign-in:${nonce}`),
        withLink: cookieOf(req, LOGIN_COOKIE) !== undefined,
      },
    });
    return {
      ...response,
      headers: { ...response.headers, 'set-cookie': cookie(NONCE_COOKIE, nonce, FORM_COOKIE_MAX_AGE_S) },
    };
  }

  async function signIn(req: InboundRequest): Promise<InboundResponse> {
    const refusal = formRefusal(req, publicOrigin);
    if (refusal) return refused(refusal);
    const form = new URLSearchParams(req.rawBody.toString('utf8'));
    const nonce = cookieOf(req, NONCE_COOKIE);
    if (!nonce || !(await links.macMatches(`sign-in:${nonce}`, form.get('_csrf') ?? undefined)))
      return refused('CSRF token mismatch');
    const pasted = (form.get('token') ?? '').trim();
    const fromLink = pasted ? undefined : cookieOf(req, LOGIN_COOKIE);
    const token = pasted || fromLink;
    if (!token || token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token))
      return signInForm(req, 400, 'Paste your API token, or open your login link again.');
    if (!ctx.tokenHolder)
      return signInForm(req, 503, 'This accessbot cannot check tokens; use the Review link from your mail.');
    const holder = await ctx.tokenHolder(token);
    // A login link signs in once: its token is marked used, and a marked token is refused
    // whether it comes through the link again or pasted.
    const used =
      holder !== null &&
      (fromLink
        ? !(await sessions.useLoginToken(token, LOGIN_USED_TTL_S))
        : await sessions.loginTokenUsed(token));
    if (!holder || used)
      return signInForm(
        { ...req, headers: { ...req.headers, cookie: '' } },
        401,
        fromLink || used
          ? 'That login link is not valid any more (used, expired or revoked). Ask for a new one.'
          : 'That token was not accepted (unknown, expired or revoked).',
      );
    if (!holder.person.email)
      return signInForm(
        req,
        403,
        `${holder.person.name} has no email in accessbot, which reviews are matched by; ask an administrator to add one.`,
      );
    const id = await sessions.start({ name: holder.person.name, email: holder.person.email }, token);
    ctx.log.info(
      { person: holder.person.name, via: fromLink ? 'login link' : 'token' },
      'reviewer signed in',
    );
    return redirect(REQUESTS_PATH, [
      cookie(SESSION_COOKIE, id, SESSION_TTL_S),
      cookie(LOGIN_COOKIE, '', 0),
      cookie(NONCE_COOKIE, '', 0),
    ]);
  }

  async function listRequests(req: InboundRequest): Promise<InboundResponse> {
    const session = await sessionOf(req);
    if (!session) return redirect(SIGN_IN_PATH);
    const holder = await ctx.tokenHolder?.(session.token);
    if (!holder) return redirect(SIGN_IN_PATH, [cookie(SESSION_COOKIE, '', 0)]);
    return page({
      status: 200,
      title: 'Requests you may review',
      signedIn: whoBar(session),
      list: holder.reviewable.map((card) => ({
        href: `${pathOf(reviewPath)}?r=${card.requestId}`,
        label: `${card.requester.name}: ${card.roles.join(', ')}${card.reason ? ` (${card.reason})` : ''}`,
      })),
    });
  }

  async function requestPage(session: Session, card: Card | null, status = 200, notice?: string) {
    if (!card) return page({ status: 404, title: 'This request does not exist', signedIn: whoBar(session) });
    const open = card.state === 'PENDING' && card.requester.name !== session.name;
    return page({
      status,
      title: open ? `Review ${card.requester.name}'s request` : `This request is ${card.state}`,
      ...(notice ? { notice } : {}),
      signedIn: whoBar(session),
      card,
      ...(open
        ? {
            form: {
              action: `${pathOf(reviewPath)}?r=${card.requestId}`,
              csrf: await links.mac(`decide:${session.hash}:${card.requestId}`),
            },
          }
        : {}),
    });
  }

  async function showRequest(req: InboundRequest): Promise<InboundResponse> {
    const session = await sessionOf(req);
    if (!session) return redirect(SIGN_IN_PATH);
    const id = req.query.r ?? '';
    return requestPage(session, REQUEST_ID.test(id) ? await ctx.getCard(id) : null);
  }

  async function decideRequest(req: InboundRequest): Promise<InboundResponse> {
    const refusal = formRefusal(req, publicOrigin);
    if (refusal) return refused(refusal);
    const session = await sessionOf(req);
    if (!session) return refused('no session', 401);
    const requestId = req.query.r ?? '';
    if (!REQUEST_ID.test(requestId)) return refused('no request');
    const form = new URLSearchParams(req.rawBody.toString('utf8'));
    if (!(await links.macMatches(`decide:${session.hash}:${requestId}`, form.get('_csrf') ?? undefined)))
      return refused('CSRF token mismatch');
    const action = form.get('action');
    if (action !== 'approve' && action !== 'deny') return refused('no action');
    const reason = (form.get('reason') ?? '').trim().slice(0, MAX_PAGE_REASON_LENGTH);
    const outcome = await ctx.decide({
      requestId,
      action,
      person: { email: session.email },
      personLabel: session.name,
      signedIn: true,
      ...(reason ? { reason } : {}),
    });
    const card = outcome.card ?? (await ctx.getCard(requestId));
    return requestPage(session, card, DECISION_STATUS[outcome.kind], outcome.message);
  }

  async function signOut(req: InboundRequest): Promise<InboundResponse> {
    const refusal = formRefusal(req, publicOrigin);
    if (refusal) return refused(refusal);
    await sessions.end(cookieOf(req, SESSION_COOKIE));
    return redirect(SIGN_IN_PATH, [cookie(SESSION_COOKIE, '', 0)]);
  }

  return {
    showRequest,
    decideRequest,
    routes: [
      {
        method: 'GET',
        path: SIGN_IN_PATH,
        async handler(req) {
          const fromLink = req.query.t;
          if (fromLink !== undefined) {
            if (!LINK_TOKEN_SHAPE.test(fromLink))
              return signInForm(req, 400, 'This login link is not valid.');
            return redirect(SIGN_IN_PATH, [cookie(LOGIN_COOKIE, fromLink, FORM_COOKIE_MAX_AGE_S)]);
          }
          if (await sessionOf(req)) return redirect(REQUESTS_PATH);
          return signInForm(req);
        },
      },
      { method: 'POST', path: SIGN_IN_PATH, handler: signIn },
      { method: 'GET', path: REQUESTS_PATH, handler: listRequests },
      { method: 'POST', path: SIGN_OUT_PATH, handler: signOut },
    ],
  };
}
