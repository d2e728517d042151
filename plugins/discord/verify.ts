// Discord's request signing for the interactions endpoint: `X-Signature-Ed25519` is the hex
// Ed25519 signature of `X-Signature-Timestamp + raw body`, made with Discord's key for the
// application and checked with the application's public key. Checked on the raw bytes before
// anything is parsed. Discord sets no replay window, so the timestamp must also lie within
// ours, in both directions.

import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { withinReplayWindow } from '../../src/plugin-sdk/index.js';

export type VerifyResult =
  | { ok: true; signature: string }
  | { ok: false; code: 'INVALID_SIGNATURE' | 'STALE_REQUEST'; why: string };

/** The application's public key as the Developer Portal shows it (64 hex characters). */
export function publicKeyFromHex(hex: string): KeyObject {
  const raw = Buffer.from(hex, 'hex');
  if (raw.length !== 32) throw new Error('an Ed25519 public key is 32 bytes (64 hex characters)');
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
}

export function verifyDiscordSignature(
  headers: Record<string, string | undefined>,
  rawBody: Buffer,
  publicKey: KeyObject,
  windowSeconds: number,
  nowMs = Date.now(),
): VerifyResult {
  const signature = headers['x-signature-ed25519'];
  const timestamp = headers['x-signature-timestamp'];
  if (!signature || !timestamp)
    return { ok: false, code: 'INVALID_SIGNATURE', why: 'missing Discord signature headers' };
  if (!/^[0-9a-fA-F]{128}$/.test(signature))
    return { ok: false, code: 'INVALID_SIGNATURE', why: 'malformed signature' };
  if (!/^\d{1,12}$/.test(timestamp) || !withinReplayWindow(timestamp, windowSeconds, nowMs)) {
    return { ok: false, code: 'STALE_REQUEST', why: 'timestamp outside the replay window' };
  }
  const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]);
  if (!verify(null, signed, publicKey, Buffer.from(signature, 'hex')))
    return { ok: false, code: 'INVALID_SIGNATURE', why: 'signature mismatch' };
  return { ok: true, signature: signature.toLowerCase() };
}
