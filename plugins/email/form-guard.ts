// What every form the pages post must pass before its fields are read: same origin (a browser's
// Origin, or Sec-Fetch-Site under no-referrer, where the Origin is `null`), and a bounded body.
// Cookies are read here too, the one way the pages carry a link or a session.

import type { InboundRequest } from '../../src/plugin-sdk/index.js';

/** Every form is a few short fields (a pasted token at most 512 characters). */
export const MAX_FORM_BYTES = 16 * 1024;

export function cookieOf(req: InboundRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** Why a posted form is refused before reading it, or undefined when it may be read. */
export function formRefusal(req: InboundRequest, publicOrigin: string): string | undefined {
  // Under Referrer-Policy: no-referrer a browser sends `Origin: null` even on its own
  // forms; Sec-Fetch-Site still tells same-origin from cross-site there.
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null' && origin !== publicOrigin) return 'cross-origin form';
  const site = req.headers['sec-fetch-site'];
  if (site && !['same-origin', 'none'].includes(site)) return 'cross-site form';
  if (req.rawBody.length > MAX_FORM_BYTES) return 'form too large';
  return undefined;
}
