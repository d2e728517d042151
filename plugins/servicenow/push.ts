// POST /hooks/servicenow/: a business rule in ServiceNow announces an approval or incident change
// (README.md has the script). The call is signed with HMAC-SHA256 over `<timestamp>.<body>` keyed
// by the shared secret, as GlideCertificateEncryption.generateMac computes it (it takes the key
// base64-encoded, which the script does, and answers the MAC in base64); the signature and the timestamp's window are checked on the raw bytes before anything is
// parsed. The body only names the record: who decided what is read back from ServiceNow, so a
// replayed or edited body can credit no one. Handling is once per record and state (decisions.ts).

import { createHmac } from 'node:crypto';
import {
  errorResponse,
  type InboundRoute,
  jsonResponse,
  safeEqual,
  withinReplayWindow,
} from '../../src/plugin-sdk/index.js';
import { queryValue } from './client.js';
import {
  APPROVAL_FIELDS,
  type DecisionDeps,
  handleApproval,
  handleStateMove,
  MOVE_FIELDS,
} from './decisions.js';

export const TIMESTAMP_HEADER = 'x-accessbot-timestamp';
export const SIGNATURE_HEADER = 'x-accessbot-signature';
/** Bodies are a few hundred bytes; anything past this is not from the business rule. */
const MAX_BODY_BYTES = 8 * 1024;
const SYS_ID = /^[0-9a-f]{32}$/;

/** The signature the business rule sends: base64 HMAC-SHA256 of `<timestamp>.<body>`, keyed by the secret's UTF-8 bytes. */
export function pushSignature(secret: string, timestamp: string, body: Buffer | string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${timestamp}.`)
    .update(body)
    .digest('base64');
}

export function pushRoute(deps: DecisionDeps): InboundRoute {
  const { config } = deps;
  return {
    method: 'POST',
    path: '/',
    async handler(req) {
      const secret = config.decisions.push_secret;
      if (!secret)
        return errorResponse(
          'INVALID_SIGNATURE',
          'pushes are refused: no decisions.push_secret is configured',
        );
      const timestamp = req.headers[TIMESTAMP_HEADER] ?? '';
      const signature = (req.headers[SIGNATURE_HEADER] ?? '').trim();
      if (
        !/^\d{1,12}$/.test(timestamp) ||
        req.rawBody.length > MAX_BODY_BYTES ||
        !safeEqual(signature, pushSignature(secret, timestamp, req.rawBody))
      )
        return errorResponse('INVALID_SIGNATURE', `missing or invalid ${SIGNATURE_HEADER}`);
      const window = config.decisions.push_max_age_seconds;
      if (!withinReplayWindow(timestamp, window))
        return errorResponse('STALE_REQUEST', `the push's ${TIMESTAMP_HEADER} is outside the replay window`);
      let body: { table?: unknown; sys_id?: unknown };
      try {
        body = JSON.parse(req.rawBody.toString('utf8')) as typeof body;
      } catch {
        return errorResponse('BAD_REQUEST', 'the body is not JSON');
      }
      if (
        body === null ||
        typeof body !== 'object' ||
        typeof body.sys_id !== 'string' ||
        !SYS_ID.test(body.sys_id)
      )
        return errorResponse('BAD_REQUEST', 'the body names no record (sys_id)');
      const notAfter = Number(timestamp) * 1000 + window * 1000;
      const sysId = queryValue(body.sys_id);
      try {
        if (body.table === 'sysapproval_approver' && config.decisions.source === 'approvals') {
          const row = await deps.api.get('sysapproval_approver', sysId, APPROVAL_FIELDS);
          if (!row) return jsonResponse(200, { ignored: 'no such approval' });
          return jsonResponse(200, await handleApproval(deps, row, notAfter));
        }
        if (body.table === 'incident' && config.decisions.source === 'state') {
          const row = await deps.api.get('incident', sysId, MOVE_FIELDS);
          if (!row) return jsonResponse(200, { ignored: 'no such incident' });
          return jsonResponse(200, await handleStateMove(deps, row, notAfter));
        }
        return jsonResponse(200, {
          ignored: `table ${String(body.table)} decides nothing with decisions.source ${config.decisions.source}`,
        });
      } catch (err) {
        deps.log.error(
          { error: (err as Error).message, sys_id: sysId },
          'servicenow push could not be handled; the next poll tries again',
        );
        return errorResponse('API_UNAVAILABLE', 'could not handle the push now; the next poll will');
      }
    },
  };
}
