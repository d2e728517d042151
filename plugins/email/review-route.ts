// The review page's routes under /hooks/<id>/:
//   GET  /review?t=TOKEN  swaps the link's token for an HttpOnly cookie of its own and redirects
//                         to the token-free page `/review?l=ID` (the token leaves the address
//                         bar and history);
//   GET  /review?l=ID     shows the request and, while the link may still decide, the form;
//   POST /review?l=ID     the form: cookie + CSRF token + same origin, then the link's one
//                         decision is claimed and handed to the host as that reviewer (the API
//                         decides rights, self-review and thresholds).
// GET and HEAD never decide, claim or record anything: mail scanners open links.

import {
  DECISION_STATUS,
  type InboundRequest,
  type InboundResponse,
  type InboundRoute,
  type PluginContext,
} from '../../src/plugin-sdk/index.js';
import { type EmailConfig, MAX_PAGE_REASON_LENGTH } from './config.js';
import { cookieOf, formRefusal } from './form-guard.js';
import { type FoundLink, hashToken, isWellFormedToken, type LinkUse, type ReviewLinks } from './links.js';
import { renderPage, STYLESHEET, STYLESHEET_PATH } from './page.js';
import { SIGN_IN_PATH, type SignedInPages } from './sign-in-route.js';

export const REVIEW_PATH = '/review';
/**
 * One cookie per link, named by a short id the page address carries (`?l=`), so a reviewer
 * with several requests open in tabs posts each form with its own link. The id is 64 bits of
 * the token's hash: it names the cookie and proves nothing.
 */
const COOKIE_PREFIX = 'accessbot_review_';
const LINK_ID = /^[0-9a-f]{16}$/;
const linkIdOf = (token: string) => hashToken(token).slice(0, 16);

/** The link token of the page a request names, from its own cookie. */
function tokenOf(req: InboundRequest): string | undefined {
  const id = req.query.l;
  return id && LINK_ID.test(id) ? cookieOf(req, `${COOKIE_PREFIX}${id}`) : undefined;
}
/** How long the swapped cookie lives: long enough to read the request and decide. */
const COOKIE_MAX_AGE_S = 3600;

export interface ReviewRouteDeps {
  ctx: PluginContext<EmailConfig>;
  links: ReviewLinks;
  /** Absolute base of this plugin's hooks, from host.public_url (never from the Host header). */
  base: string;
  /** `/review?r=ID`: the same page for a signed-in reviewer (sign-in-route.ts). */
  signedIn: Pick<SignedInPages, 'showRequest' | 'decideRequest'>;
}

export function reviewUrl(base: string, token: string): string {
  return `${base}${REVIEW_PATH}?t=${token}`;
}

export function reviewRoutes(deps: ReviewRouteDeps): InboundRoute[] {
  const { ctx, links, base, signedIn } = deps;
  const publicOrigin = new URL(base).origin;
  const secure = base.startsWith('https:');
  const pagePath = new URL(`${base}${REVIEW_PATH}`).pathname;
  const cookiePath = new URL(`${base}/`).pathname;
  const page = (input: Parameters<typeof renderPage>[0]) => renderPage(input, `${base}${STYLESHEET_PATH}`);

  const invalid = () =>
    page({
      status: 404,
      title: 'This review link is not valid',
      notice:
        'Open the Review link from your latest mail about the request. Links work only for the person they were sent to.',
    });

  /** The page for a link that exists: what it may still do, or what became of it. */
  async function showLink(link: FoundLink, status = 200, notice?: string): Promise<InboundResponse> {
    const card = await ctx.getCard(link.record.requestId);
    if (!card)
      return page({
        status: 404,
        title: 'This request no longer exists',
        notice: 'It was withdrawn or removed.',
      });
    if (link.use)
      return page({
        status,
        title: 'You already answered with this link',
        notice: notice ?? link.use.message ?? `You chose to ${link.use.action}.`,
        card,
      });
    if (Date.parse(link.record.expires) <= Date.now())
      return page({
        status: 410,
        title: 'This review link has expired',
        notice: 'Nothing was recorded.',
        card,
      });
    if (card.state !== 'PENDING')
      return page({
        status,
        title: `This request is ${card.state}`,
        notice: notice ?? 'It no longer takes reviews.',
        card,
      });
    return page({
      status,
      title: `Review ${card.requester.name}'s request`,
      ...(notice ? { notice } : {}),
      card,
      form: { action: `${pagePath}?l=${link.hash.slice(0, 16)}`, csrf: await links.csrfToken(link) },
    });
  }

  return [
    {
      method: 'GET',
      path: STYLESHEET_PATH,
      handler: async () => ({
        status: 200,
        headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' },
        body: STYLESHEET,
      }),
    },
    {
      method: 'GET',
      path: REVIEW_PATH,
      async handler(req) {
        if (req.query.r !== undefined) return signedIn.showRequest(req);
        const fromUrl = req.query.t;
        if (fromUrl !== undefined) {
          if (!isWellFormedToken(fromUrl)) return invalid();
          return {
            status: 303,
            headers: {
              location: `${base}${REVIEW_PATH}?l=${linkIdOf(fromUrl)}`,
              'cache-control': 'no-store',
              'referrer-policy': 'no-referrer',
              'x-robots-tag': 'noindex, nofollow',
              'set-cookie': `${COOKIE_PREFIX}${linkIdOf(fromUrl)}=${fromUrl}; Path=${cookiePath}; Max-Age=${COOKIE_MAX_AGE_S}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`,
            },
          };
        }
        const link = await links.find(tokenOf(req));
        return link ? showLink(link) : invalid();
      },
    },
    {
      method: 'POST',
      path: REVIEW_PATH,
      async handler(req) {
        if (req.query.r !== undefined) return signedIn.decideRequest(req);
        const forged = (why: string) => {
          ctx.log.warn({ why }, 'refused a review form');
          return page({
            status: 403,
            title: 'This form could not be accepted',
            notice:
              'Nothing was recorded. Open the Review link from your mail again and use the buttons on that page.',
          });
        };
        const refusal = formRefusal(req, publicOrigin);
        if (refusal === 'cross-origin form' || refusal === 'cross-site form') return forged(refusal);
        const link = await links.find(tokenOf(req));
        if (!link) return invalid();
        // A used or expired link, or a request that no longer takes reviews: the page says so
        // (it only shows; nothing is claimed or decided).
        if (link.use) return showLink(link, 409);
        if (Date.parse(link.record.expires) <= Date.now()) return showLink(link);
        const card = await ctx.getCard(link.record.requestId);
        if (card?.state !== 'PENDING') return showLink(link, 409);
        if (refusal) return forged(refusal);
        const form = new URLSearchParams(req.rawBody.toString('utf8'));
        if (!(await links.csrfMatches(link, form.get('_csrf') ?? undefined)))
          return forged('CSRF token mismatch');
        const action = form.get('action');
        if (action !== 'approve' && action !== 'deny') return forged('no action');
        const reason = (form.get('reason') ?? '').trim().slice(0, MAX_PAGE_REASON_LENGTH);
        const use: LinkUse = { action, at: new Date().toISOString() };
        if (!(await links.claim(link, use)))
          return showLink({ ...link, use: (await links.find(tokenOf(req)))?.use ?? use }, 409);
        const outcome = await ctx.decide({
          requestId: link.record.requestId,
          action,
          person: { email: link.record.reviewer },
          personLabel: link.record.reviewer,
          ...(reason ? { reason } : {}),
        });
        if (outcome.kind === 'error') {
          await links.release(link);
          return page({ status: 503, title: 'Nothing was recorded yet', notice: outcome.message });
        }
        // A step-up role: the link alone cannot approve. It stays unused (it may still deny);
        // the approval is made signed in, on the same page.
        if (outcome.kind === 'step_up') {
          await links.release(link);
          return page({
            status: DECISION_STATUS.step_up,
            title: 'Sign in to approve this request',
            notice: outcome.message,
            card: outcome.card ?? card,
            list: [{ href: `${base}${SIGN_IN_PATH}`, label: 'Sign in to approve' }],
          });
        }
        const done: LinkUse = { ...use, outcome: outcome.kind, message: outcome.message };
        await links.recordOutcome(link, done);
        return showLink({ ...link, use: done }, DECISION_STATUS[outcome.kind], outcome.message);
      },
    },
  ];
}
