// The review page, server-rendered with `html` (escaped by construction), no script at all.
// Every answer carries the headers that keep a bearer link out of caches, referrers, search
// engines and frames.

import { type Card, type InboundResponse, STATUS_LABEL } from '../../src/plugin-sdk/index.js';
import { MAX_PAGE_REASON_LENGTH } from './config.js';
import { html, type SafeHtml } from './html.js';

export const STYLESHEET_PATH = '/review.css';

export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

export const STYLESHEET = `body{font-family:system-ui,sans-serif;margin:0;padding:16px;color:#222;max-width:40rem;margin:auto;line-height:1.4}
h1{font-size:1.3rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px}dt{font-weight:600}
dd{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}textarea{width:100%;box-sizing:border-box;min-height:5rem;font:inherit}
.buttons{display:flex;gap:12px;margin-top:12px}button{flex:1;padding:14px;font-size:1rem;border:0;border-radius:6px;color:#fff}
input[type=password]{width:100%;box-sizing:border-box;padding:10px;font:inherit}li{margin:8px 0}
.sign-out{flex:none;padding:8px 12px;color:#222;background:#e0e0e0}
.approve{background:#26a269}.deny{background:#c01c28}.notice{padding:12px;border-radius:6px;background:#f0f0f0}`;

export interface PageInput {
  status: number;
  title: string;
  notice?: string;
  card?: Card | null;
  /** The form, when the reviewer may still decide. */
  form?: { action: string; csrf: string };
  /** The sign-in form: a login link's button, or a field to paste an API token into. */
  signIn?: { action: string; csrf: string; withLink: boolean };
  /** Links to pages (a signed-in reviewer's requests). */
  list?: { href: string; label: string }[];
  /** The signed-in reviewer's name, and where their list is. */
  signedIn?: { name: string; listHref: string; signOutAction: string };
}

function cardSection(card: Card): SafeHtml {
  const remaining = card.state === 'PENDING' ? 'waiting for reviews' : STATUS_LABEL[card.state];
  return html`<dl>
<dt>Request</dt><dd>${card.requestId}</dd>
<dt>State</dt><dd id="state">${card.state}</dd>
<dt>Requester</dt><dd>${card.requester.name}</dd>
<dt>Roles</dt><dd>${card.roles.join(', ')}</dd>
${card.resources.length > 0 && html`<dt>Resources</dt><dd>${card.resources.join(', ')}</dd>`}
<dt>Reason</dt><dd>${card.reason}</dd>
<dt>Status</dt><dd>${remaining}</dd>
<dt>Expires</dt><dd>${card.requestExpires}</dd>
</dl>
${card.reviews.length > 0 && html`<h2>Reviews</h2><ul>${card.reviews.map((r) => html`<li>${r.author}: ${r.decision}${r.reason ? html` (${r.reason})` : ''}</li>`)}</ul>`}
${card.resolution && html`<p><strong>${STATUS_LABEL[card.resolution.state]}${card.resolution.by ? ` by ${card.resolution.by}` : ''}</strong></p>`}`;
}

export function renderPage(input: PageInput, stylesheetUrl: string): InboundResponse {
  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${input.title}</title><link rel="stylesheet" href="${stylesheetUrl}"></head>
<body>${input.signedIn && html`<p class="who">Signed in as <strong>${input.signedIn.name}</strong> · <a href="${input.signedIn.listHref}">your requests to review</a></p>`}
<h1>${input.title}</h1>
${input.notice && html`<p class="notice" id="notice">${input.notice}</p>`}
${input.card && cardSection(input.card)}
${input.list && (input.list.length > 0 ? html`<ul id="requests">${input.list.map((item) => html`<li><a href="${item.href}">${item.label}</a></li>`)}</ul>` : html`<p id="requests">Nothing waits for your review.</p>`)}
${
  input.signIn &&
  html`<form method="post" action="${input.signIn.action}">
<input type="hidden" name="_csrf" value="${input.signIn.csrf}">
${
  input.signIn.withLink
    ? html`<p>Continue with the login link you opened.</p>`
    : html`<label for="token">Your accessbot API token</label>
<input id="token" name="token" type="password" autocomplete="off" required maxlength="512">`
}
<div class="buttons"><button class="approve" type="submit">Sign in</button></div>
</form>`
}
${
  input.form &&
  html`<form method="post" action="${input.form.action}">
<input type="hidden" name="_csrf" value="${input.form.csrf}">
<label for="reason">Reason (optional)</label>
<textarea id="reason" name="reason" maxlength="${MAX_PAGE_REASON_LENGTH}"></textarea>
<div class="buttons"><button class="approve" type="submit" name="action" value="approve">Approve</button>
<button class="deny" type="submit" name="action" value="deny">Deny</button></div>
</form>`
}
${input.signedIn && html`<form method="post" action="${input.signedIn.signOutAction}"><button class="sign-out" type="submit">Sign out</button></form>`}
</body></html>`;
  return { status: input.status, headers: PAGE_HEADERS, body: body.value };
}
