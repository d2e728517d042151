// The ServiceNow plugin against the fake ServiceNow instance (test/fakes/servicenow). A message
// is the request's incident in the "Access Approvers" group: active shows PENDING (WITHDRAWN once
// a withdrawn work note is on it) and offers approve and deny (an approval record on it);
// resolved or closed shows the state its close notes name. Work notes are its replies. A decision
// is the real flow: the person's approval record on the incident is set to approved (their
// comment the reason) and the business rule pushes the change, signed as the README's script
// signs it. The plugin authenticates with OAuth client credentials. Polling is off here (pushes
// only) so each decision is handled by the call that reports it; polling through the host is
// tested in test/plugins/servicenow.test.ts.

import { randomBytes } from 'node:crypto';
import servicenowPlugin from '../../plugins/servicenow/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { pushChange } from '../fakes/servicenow/push.js';
import { startFakeServiceNow } from '../fakes/servicenow/server.js';
import type { Row } from '../fakes/servicenow/tables.js';
import type {
  ConformanceAdapter,
  ConformanceUser,
  DecisionAnswer,
  DecisionArgs,
  PlatformFake,
  PlatformMessage,
} from './adapter.js';
import { describeConformance } from './suite.js';

const GROUP = 'Access Approvers';
const STATES = /\b(APPROVED|DENIED|EXPIRED)\b/;
const isWrite = (method: string) => method !== 'GET';

async function startServiceNowFake(users: ConformanceUser[]): Promise<PlatformFake> {
  const sn = await startFakeServiceNow();
  const groupId = sn.addGroup(GROUP);
  for (const user of users) sn.addUser({ user_name: user.name, email: user.email, name: user.name });
  const pushKey = randomBytes(32).toString('hex');

  const notes = (incident: Row) => sn.journal(incident.sys_id!, 'work_notes');
  const withdrawn = (incident: Row) => notes(incident).some((n) => n.includes('was withdrawn'));
  const statusOf = (incident: Row): string => {
    if (incident.active !== 'false') return withdrawn(incident) ? 'WITHDRAWN' : 'PENDING';
    return STATES.exec(incident.close_notes ?? '')?.[1] ?? 'RESOLVED';
  };

  const answer = (res: { status: number; body: Record<string, unknown> }): DecisionAnswer => {
    const b = res.body as { message?: unknown; why?: unknown; error?: { message?: unknown } };
    const shown = b.message ?? b.why ?? b.error?.message ?? '';
    return { status: res.status, shown: String(shown) };
  };

  /** The person's approval record on the request's open incident, set as they would set it. */
  const approve = (args: DecisionArgs) => {
    const incident = sn.incidentsOf(args.requestId).find((i) => i.active !== 'false');
    if (!incident) throw new Error(`no open incident for ${args.requestId}`);
    return sn.recordApproval(
      incident.sys_id!,
      args.user,
      args.action === 'approve' ? 'approved' : 'rejected',
      args.reason,
    );
  };
  const record = (sysId: string, args: DecisionArgs) => ({
    table: 'sysapproval_approver' as const,
    sys_id: sysId,
    state: args.action === 'approve' ? 'approved' : 'rejected',
  });

  return {
    pluginConfig: {
      instance_url: sn.url,
      auth: { type: 'oauth', ...sn.oauth },
      assignment_group: GROUP,
      decisions: { source: 'approvals', poll_interval_seconds: 0, push_secret: pushKey },
    },
    reviewerRecipients: [GROUP],
    async messages(requestId): Promise<PlatformMessage[]> {
      return sn.incidentsOf(requestId).map((incident) => {
        const status = statusOf(incident);
        return {
          id: incident.number!,
          target: incident.assignment_group ?? groupId,
          status,
          actions: status === 'PENDING' ? ['approve', 'deny'] : [],
          text: [
            incident.short_description,
            incident.description,
            incident.close_notes ?? '',
            ...notes(incident),
          ].join('\n'),
        };
      });
    },
    async replies(requestId) {
      return sn.incidentsOf(requestId).flatMap(notes);
    },
    failNext: (n) => sn.failNext(n, { status: 500, match: isWrite }),
    rateLimitNext: (n, seconds) => sn.rateLimitNext(n, seconds, isWrite),
    loseNextAnswers(n) {
      for (let i = 0; i < n; i++) sn.loseNextAnswer(isWrite);
    },
    decisions: {
      async decide(hookUrl, args) {
        const sysId = approve(args);
        return answer(await pushChange(hookUrl('/'), record(sysId, args), { secret: pushKey }));
      },
      async forged(hookUrl, args) {
        const sysId = approve(args);
        return answer(
          await pushChange(hookUrl('/'), record(sysId, args), {
            secret: randomBytes(32).toString('hex'),
          }),
        );
      },
      async stale(hookUrl, args) {
        const sysId = approve(args);
        return answer(
          await pushChange(hookUrl('/'), record(sysId, args), {
            secret: pushKey,
            timestamp: Math.floor(Date.now() / 1000) - 3600,
          }),
        );
      },
    },
    unusedFaults: () => sn.unusedFaults(),
    stop: () => sn.stop(),
  };
}

export const servicenowAdapter: ConformanceAdapter = {
  id: 'servicenow',
  definition: servicenowPlugin as unknown as PluginDefinition,
  startFake: startServiceNowFake,
};

describeConformance(servicenowAdapter, { replies: true, lostAnswers: true, decisions: true });
