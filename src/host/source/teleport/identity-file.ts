// A Teleport identity file, as `tctl auth sign --format=file` and Machine ID (tbot) write it:
// the private key PEM, the SSH certificate line, the TLS certificate PEM, `@cert-authority`
// lines, then the cluster's TLS CA certificates. The SSH parts are not ours to use (we speak
// gRPC over TLS only), so we read the PEM blocks in order and ignore every other line.

import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AccessbotError } from '../../../errors.js';

export interface TeleportIdentity {
  /** PEM of the private key. */
  key: Buffer;
  /** PEM of the client (user) TLS certificate. */
  cert: Buffer;
  /** PEMs of the cluster's TLS CAs (the auth service's certificate chains to one of them). */
  cas: Buffer;
  /** The Teleport user the certificate names (its subject CN). */
  user: string;
  /** When the certificate stops being valid. */
  notAfter: Date;
  /** Fingerprint, to tell a renewed certificate from the one in use. */
  fingerprint: string;
}

/** Identity files are a few KB; anything this large is not one. */
const MAX_IDENTITY_BYTES = 1024 * 1024;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

export function parseIdentity(text: string, path: string): TeleportIdentity {
  let key: string | undefined;
  let cert: string | undefined;
  const cas: string[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const [block, label] = match;
    if (label?.endsWith('PRIVATE KEY')) key ??= block;
    else if (label === 'CERTIFICATE') {
      if (cert === undefined) cert = block;
      else cas.push(block);
    }
  }
  const fix = 'issue it with `tctl auth sign --format=file --user=<plugin user> --out=<file>` or tbot';
  if (!key) throw new AccessbotError('CONFIG_INVALID', `${path} holds no private key: ${fix}`);
  if (!cert) throw new AccessbotError('CONFIG_INVALID', `${path} holds no TLS certificate: ${fix}`);
  if (cas.length === 0)
    throw new AccessbotError('CONFIG_INVALID', `${path} holds no cluster CA certificate: ${fix}`);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new AccessbotError('CONFIG_INVALID', `${path}: the TLS certificate cannot be read: ${fix}`);
  }
  const user = /(?:^|\n)CN=([^\n]+)/.exec(x509.subject)?.[1] ?? '';
  return {
    key: Buffer.from(`${key}\n`),
    cert: Buffer.from(`${cert}\n`),
    cas: Buffer.from(`${cas.join('\n')}\n`),
    user,
    notAfter: new Date(x509.validTo),
    fingerprint: x509.fingerprint256,
  };
}

export async function readIdentity(path: string): Promise<TeleportIdentity> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_IDENTITY_BYTES)
      throw new AccessbotError('CONFIG_INVALID', `${path} is larger than an identity file can be`);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof AccessbotError) throw err;
    throw new AccessbotError(
      'FILE_ACCESS',
      `cannot read the Teleport identity file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  return parseIdentity(text, path);
}
