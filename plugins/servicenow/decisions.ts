// Decisions taken in ServiceNow become reviews by the person who took them, submitted through
// the host (ctx.decide) so the access API still checks thresholds and review rights. Two kinds:
// an approval record (sysapproval_approver) on the incident set to approved or rejected, or
// (source: state) the incident moved to the approve or deny state. Each is read from ServiceNow
// itself, whether found by polling or announced by a signed push, and handled once per record
// and state: a short claim in the kv stops a poll and a push (or two hosts) from both acting,
// and outlives nothing if the host dies mid-way, so the next poll tries again. A decision that
// did not decide the request (refused, or more reviews needed) is answered with a work note.

import type {
  DecisionOutcome,
  Logger,
  PersonRef,
  PluginContext,
  PluginKv,
} from '../../src/plugin-sdk/index.js';
import { queryValue, type Row, type ServiceNowApi } from './client.js';
import type { ServiceNowConfig } from './config.js';
import { CORRELATION_DISPLAY, type IncidentRef, type Incidents } from './incidents.js';
import { answerNote } from './render.js';

export const APPROVAL_FIELDS = [
  'sys_id',
  'state',
  'sys_mod_count',
  'sysapproval',
  'approver.user_name',
  'approver.email',
  'approver.name',
  'sysapproval.correlation_id',
  'sysapproval.correlation_display',
  'sysapproval.active',
];
export const MOVE_FIELDS = [
  'sys_id',
  'number',
  'state',
  'correlation_id',
  'correlation_display',
  'active',
  'sys_updated_by',
  'sys_mod_count',
];

/** How long a claim on a record holds while it is handled (a dead host's claim then lapses). */
const CLAIM_SECONDS = 60;
/** How long a handled record is remembered (its incident is resolved long before). */
const HANDLED_SECONDS = 30 * 24 * 3600;

export interface DecisionDeps {
  api: ServiceNowApi;
  config: ServiceNowConfig;
  kv: PluginKv;
  log: Logger;
  incidents: Incidents;
  decide: PluginContext<ServiceNowConfig>['decide'];
  getCard: PluginContext<ServiceNowConfig>['getCard'];
}

export type Handled =
  | { handled: false; why: string }
  | { handled: true; requestId: string; outcome: DecisionOutcome['kind']; message: string };

/** Approvals on the plugin's open incidents that someone approved or rejected, newest first. */
export function decidedApprovalsQuery(): string {
  return `sysapproval.correlation_display=${CORRELATION_DISPLAY}^sysapproval.active=true^stateINapproved,rejected^ORDERBYDESCsys_updated_on`;
}

export function movedIncidentsQuery(config: ServiceNowConfig): string {
  const a = queryValue(config.decisions.approve_state ?? '');
  const d = queryValue(config.decisions.deny_state ?? '');
  return `correlation_display=${CORRELATION_DISPLAY}^active=true^stateIN${a},${d}^ORDERBYDESCsys_updated_on`;
}

/** Records handled at once by a poll: each is a few calls, and they are independent. */
const POLL_CONCURRENCY = 4;

/** One poll: every decision waiting in ServiceNow is handed over. */
export async function pollDecisions(deps: DecisionDeps): Promise<number> {
  const source = deps.config.decisions.source;
  if (source === 'none') return 0;
  const rows =
    source === 'approvals'
      ? await deps.api.listAll('sysapproval_approver', {
          query: decidedApprovalsQuery(),
          fields: APPROVAL_FIELDS,
        })
      : await deps.api.listAll('incident', { query: movedIncidentsQuery(deps.config), fields: MOVE_FIELDS });
  const handle = source === 'approvals' ? handleApproval : handleStateMove;
  let handled = 0;
  let failure: unknown;
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++]!;
      try {
        if ((await handle(deps, row)).handled) handled++;
      } catch (err) {
        // One record's failure (released for the next poll) does not hold up the others.
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(POLL_CONCURRENCY, rows.length) }, worker));
  if (failure) throw failure;
  return handled;
}

function personFrom(
  config: ServiceNowConfig,
  userName: string | undefined,
  email: string | undefined,
): PersonRef | null {
  if (config.people.match === 'email') return email ? { email } : null;
  return userName ? { trait: config.people.user_name_trait, value: userName } : null;
}

/** Runs `work` once per key: claimed briefly first, remembered after; released on failure. */
async function once(kv: PluginKv, key: string, work: () => Promise<Handled>): Promise<Handled> {
  if ((await kv.get(key)) === 'done') return { handled: false, why: 'already handled' };
  if (!(await kv.setIfAbsent(key, 'claimed', CLAIM_SECONDS)))
    return { handled: false, why: 'being handled elsewhere' };
  let result: Handled;
  try {
    result = await work();
  } catch (err) {
    await kv.delete(key).catch(() => {});
    throw err;
  }
  if (result.handled && result.outcome === 'error') await kv.delete(key);
  else await kv.set(key, 'done', HANDLED_SECONDS);
  return result;
}

/** An approval record, as read from ServiceNow (APPROVAL_FIELDS). `notAfter`: a push's window. */
export function handleApproval(deps: DecisionDeps, row: Row, notAfter?: number): Promise<Handled> {
  const action = row.state === 'approved' ? 'approve' : row.state === 'rejected' ? 'deny' : null;
  if (!action)
    return Promise.resolve({ handled: false, why: `approval state "${row.state}" decides nothing` });
  if (row['sysapproval.correlation_display'] !== CORRELATION_DISPLAY || !row['sysapproval.correlation_id'])
    return Promise.resolve({ handled: false, why: 'not an approval of an accessbot incident' });
  if (row['sysapproval.active'] === 'false')
    return Promise.resolve({ handled: false, why: 'the incident is closed' });
  const requestId = row['sysapproval.correlation_id'];
  const incident: IncidentRef = { sysId: row.sysapproval!, number: '', requestId };
  const label = row['approver.name'] || row['approver.user_name'] || 'an unnamed approver';
  return once(deps.kv, `approval:${row.sys_id}:${row.state}`, async () => {
    const person = personFrom(deps.config, row['approver.user_name'], row['approver.email']);
    const reason = (await deps.api.journal(row.sys_id!, 'comments', 1))[0]?.value?.trim();
    const outcome: DecisionOutcome = person
      ? await deps.decide({
          requestId,
          action,
          person,
          personLabel: label,
          ...(reason ? { reason } : {}),
          ...(notAfter ? { notAfter } : {}),
        })
      : {
          kind: 'unknown_user',
          message: `${label} has no ${deps.config.people.match === 'email' ? 'email' : 'user_name'} in ServiceNow, so no review was recorded.`,
        };
    deps.log.info(
      { requestId, approval: row.sys_id, action, outcome: outcome.kind },
      'servicenow approval handed over as a review',
    );
    await answer(deps, incident, row.sys_id!, label, action, outcome);
    return { handled: true, requestId, outcome: outcome.kind, message: outcome.message };
  });
}

/** An incident moved to the approve or deny state (source: state), read from ServiceNow (MOVE_FIELDS). */
export function handleStateMove(deps: DecisionDeps, row: Row, notAfter?: number): Promise<Handled> {
  const { approve_state, deny_state, pending_state } = deps.config.decisions;
  const action = row.state === approve_state ? 'approve' : row.state === deny_state ? 'deny' : null;
  if (!action) return Promise.resolve({ handled: false, why: `state "${row.state}" decides nothing` });
  if (row.correlation_display !== CORRELATION_DISPLAY || !row.correlation_id || row.active === 'false')
    return Promise.resolve({ handled: false, why: 'not an open accessbot incident' });
  const requestId = row.correlation_id;
  const incident: IncidentRef = { sysId: row.sys_id!, number: row.number ?? '', requestId };
  const userName = row.sys_updated_by ?? '';
  return once(deps.kv, `move:${row.sys_id}:${row.sys_mod_count}`, async () => {
    let person: PersonRef | null = null;
    if (deps.config.people.match === 'user_name') person = personFrom(deps.config, userName, undefined);
    else if (userName) {
      const user = await deps.api.first('sys_user', `user_name=${queryValue(userName)}`, ['email']);
      person = personFrom(deps.config, userName, user?.email);
    }
    const outcome: DecisionOutcome = person
      ? await deps.decide({
          requestId,
          action,
          person,
          personLabel: userName,
          ...(notAfter ? { notAfter } : {}),
        })
      : {
          kind: 'unknown_user',
          message: `${userName || 'The mover'} could not be matched to an access user, so no review was recorded.`,
        };
    deps.log.info(
      { requestId, incident: row.number, action, outcome: outcome.kind },
      'servicenow state move handed over as a review',
    );
    const card = outcome.card ?? (await deps.getCard(requestId));
    if (!(outcome.kind === 'done' && card && card.state !== 'PENDING')) {
      // Undecided: back to pending so the move can be made again (by someone else).
      if (card?.state === 'PENDING' || !card)
        await deps.api.update('incident', incident.sysId, { state: pending_state });
      await answer(deps, incident, `mod ${row.sys_mod_count}`, userName, action, outcome);
    }
    return { handled: true, requestId, outcome: outcome.kind, message: outcome.message };
  });
}

/** A work note when the decision did not decide the request; nothing when it did (the close says it). */
async function answer(
  deps: DecisionDeps,
  incident: IncidentRef,
  recordId: string,
  label: string,
  action: 'approve' | 'deny',
  outcome: DecisionOutcome,
): Promise<void> {
  // A retry of our own earlier, recorded decision (the host died before remembering it).
  if (outcome.kind === 'already_reviewed' || outcome.kind === 'error') return;
  let message = outcome.message;
  if (outcome.kind === 'done') {
    const card = outcome.card ?? (await deps.getCard(incident.requestId));
    if (card && card.state !== 'PENDING') return;
    message = `the ${action === 'approve' ? 'approval' : 'denial'} is recorded; the request stays pending until enough reviews decide it.`;
  } else {
    message = `the review was not recorded: ${message}`;
  }
  const text = answerNote(recordId, label, action, message);
  // Looked for first: a claim that lapsed after the note was posted must not post it twice.
  if (await deps.incidents.hasNote(incident, text)) return;
  await deps.api.update('incident', incident.sysId, { work_notes: text });
}
