// The push a ServiceNow business rule makes (plugins/servicenow/README.md has the script): the
// body names the changed record, and the signature is what the script computes:
// GlideCertificateEncryption.generateMac(GlideStringUtil.base64Encode(secret), "HmacSHA256",
// timestamp + "." + body), i.e. the base64 HMAC-SHA256 keyed by the base64-decoded key.

import { createHmac } from 'node:crypto';

export interface PushOptions {
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** The secret in the instance's system property; a wrong one forges the call. */
  secret: string;
  /** Replace the signature header (missing: ''). */
  signature?: string;
}

export async function pushChange(
  hookUrl: string,
  record: { table: 'sysapproval_approver' | 'incident'; sys_id: string; state?: string },
  opts: PushOptions,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  // Business rules build the body with JSON.stringify of a plain object, as here.
  const body = JSON.stringify({ table: record.table, sys_id: record.sys_id, state: record.state ?? '' });
  const base64Key = Buffer.from(opts.secret, 'utf8').toString('base64'); // GlideStringUtil.base64Encode
  const mac =
    opts.signature ??
    createHmac('sha256', Buffer.from(base64Key, 'base64')).update(`${timestamp}.${body}`).digest('base64');
  const res = await fetch(hookUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Accessbot-Timestamp': timestamp,
      'X-Accessbot-Signature': mac,
    },
    body,
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}
