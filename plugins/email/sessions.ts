// Signed-in reviewers. A session id is 32 random bytes in an HttpOnly cookie; the plugin kv keeps
// only its SHA-256, the person, and the API token sealed (AES-256-GCM) under a key derived from
// the session id, so a copy of Redis neither names a session nor yields a token. Sessions are
// short-lived; a login link's token is accepted once.

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { PluginKv } from '../../src/plugin-sdk/index.js';
import { hashToken } from './links.js';

/** A signed-in reviewer's session lasts this long, then they sign in again. */
export const SESSION_TTL_S = 15 * 60;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface Session {
  name: string;
  email: string;
  /** The session id's hash: binds the page forms' CSRF tokens to this session. */
  hash: string;
  token: string;
}

interface StoredSession {
  name: string;
  email: string;
  sealed: string;
}

const sealKey = (sessionId: string) => createHash('sha256').update(`seal:${sessionId}`).digest();

function seal(sessionId: string, token: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(sessionId), iv);
  const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

function unseal(sessionId: string, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', sealKey(sessionId), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

export class Sessions {
  constructor(private readonly kv: PluginKv) {}

  /** Starts a session; returns its id (the cookie's value, never stored). */
  async start(person: { name: string; email: string }, token: string): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const stored: StoredSession = { name: person.name, email: person.email, sealed: seal(id, token) };
    await this.kv.set(`session:${hashToken(id)}`, JSON.stringify(stored), SESSION_TTL_S);
    return id;
  }

  async find(id: string | undefined): Promise<Session | null> {
    if (!id || !SESSION_ID.test(id)) return null;
    const hash = hashToken(id);
    const raw = await this.kv.get(`session:${hash}`);
    if (!raw) return null;
    const stored = JSON.parse(raw) as StoredSession;
    return { name: stored.name, email: stored.email, hash, token: unseal(id, stored.sealed) };
  }

  async end(id: string | undefined): Promise<void> {
    if (id && SESSION_ID.test(id)) await this.kv.delete(`session:${hashToken(id)}`);
  }

  async loginTokenUsed(token: string): Promise<boolean> {
    return (await this.kv.get(`login-used:${hashToken(token)}`)) !== null;
  }

  /** A login link's token is good for one sign-in: true when this call used it. */
  async useLoginToken(token: string, ttlSeconds: number): Promise<boolean> {
    return this.kv.setIfAbsent(`login-used:${hashToken(token)}`, '1', ttlSeconds);
  }
}
