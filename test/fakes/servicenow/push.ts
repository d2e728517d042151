// The push a ServiceNow business rule makes (plugins/servicenow/README.md has the script): the
// body names the changed record, and the signature is what GlideCertificateEncryption.generateMac
// (base64 key, "HmacSHA256", data) returns: the base64 HMAC-SHA256 of `<timestamp>.<body>`.

import { createHmac } from 'node:crypto';

export interface PushOptions {
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** A wrong key forges the call. */
  base64Key: string;
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
  const mac =
    opts.signature ??
    createHmac('sha256', Buffer.from(opts.base64Key, 'base64'))
      .update(`${timestamp}.${body}`)
      .digest('base64');
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
