// How calls to ServiceNow authenticate: Basic with a user's password, or an OAuth access token
// from the client credentials grant (POST /oauth_token.do, form-encoded as ServiceNow demands).
// The token is cached and fetched again shortly before it expires; a 401 on an API call drops
// it so the caller can retry once with a fresh one. Concurrent callers share one token fetch.

import { authFailed, errorFromHttpStatus, transient } from '../../src/plugin-sdk/index.js';
import type { ServiceNowConfig } from './config.js';

/** A token is renewed this long before ServiceNow says it expires (clock skew, slow calls). */
const RENEW_BEFORE_MS = 60_000;

export interface Authenticator {
  /** The Authorization header value for the next call. */
  header(): Promise<string>;
  /** The API answered 401 with `header`: forget it. True when a retry with a new one makes sense. */
  rejected(header: string): boolean;
}

export function authenticator(
  config: Pick<ServiceNowConfig, 'auth' | 'instance_url' | 'timeout_ms'>,
  now: () => number = Date.now,
): Authenticator {
  const auth = config.auth;
  if (auth.type === 'basic') {
    const basic = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    return { header: async () => basic, rejected: () => false };
  }
  const { client_id, client_secret } = auth;
  let cached: { header: string; expiresAt: number } | undefined;
  let fetching: Promise<{ header: string; expiresAt: number }> | undefined;
  const tokenUrl = new URL(
    'oauth_token.do',
    config.instance_url.endsWith('/') ? config.instance_url : `${config.instance_url}/`,
  );

  async function fetchToken(): Promise<{ header: string; expiresAt: number }> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id,
      client_secret,
    });
    let res: Response;
    let text: string;
    try {
      res = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(config.timeout_ms),
      });
      text = await res.text();
    } catch (err) {
      throw transient(`ServiceNow token request failed: ${(err as Error).message}`);
    }
    let body: { access_token?: unknown; expires_in?: unknown; error_description?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // A proxy page: judged by status below.
    }
    if (res.status === 400 || res.status === 401)
      throw authFailed(
        `ServiceNow refused the OAuth client credentials (${res.status}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}); check auth.client_id and auth.client_secret and that the application allows the client_credentials grant`,
      );
    if (!res.ok)
      throw errorFromHttpStatus(
        res.status,
        `ServiceNow token request: ${res.status}`,
        res.headers.get('retry-after'),
      );
    if (typeof body.access_token !== 'string' || body.access_token === '')
      throw transient('ServiceNow token request: the answer holds no access_token');
    const lifetimeMs =
      (typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in) || 1800) * 1000;
    return {
      header: `Bearer ${body.access_token}`,
      expiresAt: now() + Math.max(lifetimeMs - RENEW_BEFORE_MS, lifetimeMs / 2),
    };
  }

  return {
    async header() {
      if (cached && now() < cached.expiresAt) return cached.header;
      fetching ??= fetchToken().finally(() => {
        fetching = undefined;
      });
      cached = await fetching;
      return cached.header;
    },
    rejected(header) {
      if (cached?.header !== header) return true; // already replaced by a newer token
      cached = undefined;
      return true;
    },
  };
}
