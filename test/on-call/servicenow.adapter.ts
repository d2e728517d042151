// ServiceNow's adapter for the on-call contract suite (servicenow.on-call.test.ts), against the
// fake instance (test/fakes/servicenow). Scopes are on-call rotas (cmn_rota), named by name in
// the `servicenow_rotas` annotation; a shift is a whoisoncall entry for the rota now; the rota is
// itself the schedule, and ServiceNow has no escalation levels here. The alert is the incident.
// On-call reads are the rota lookups and the whoisoncall calls.

import servicenowPlugin from '../../plugins/servicenow/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { startFakeServiceNow } from '../fakes/servicenow/server.js';
import type { OnCallAdapter, OnCallFake, OnCallPerson } from './adapter.js';

const GROUP = 'Access Approvers';
const HOUR = 3_600_000;

const isOnCallRead = (method: string, path: string) =>
  method === 'GET' && (path === '/api/now/on_call_rota/whoisoncall' || path === '/api/now/table/cmn_rota');

export async function startServiceNowOnCallFake(people: OnCallPerson[]): Promise<OnCallFake> {
  const sn = await startFakeServiceNow();
  const groupId = sn.addGroup(GROUP);
  const users = new Map<string, string>();
  for (const p of people) users.set(p.email, sn.addUser({ user_name: p.name, email: p.email, name: p.name }));
  const rotas = new Map<string, string>();

  return {
    pluginConfig: {
      instance_url: sn.url,
      auth: { type: 'basic', ...sn.basic },
      assignment_group: GROUP,
      decisions: { source: 'none' },
    },
    recipients: [GROUP],
    scopeAnnotation: 'servicenow_rotas',
    addScope(name) {
      rotas.set(name, sn.addRota(name, groupId));
      return name;
    },
    putOnCall(person, scope) {
      const rotaId = rotas.get(scope);
      const userSysId = users.get(person.email);
      if (!rotaId || !userSysId) throw new Error(`unknown rota ${scope} or person ${person.email}`);
      const now = Date.now();
      sn.addShift({ rotaId, userSysId, from: new Date(now - HOUR), to: new Date(now + 2 * HOUR) });
      return scope;
    },
    failNextOnCallReads: (n) => sn.failNext(n, { status: 500, match: isOnCallRead }),
    rateLimitNextOnCallReads: (n, seconds) => sn.rateLimitNext(n, seconds, isOnCallRead),
    onCallReads: () => sn.calls.filter((c) => isOnCallRead(c.method, c.path)).length,
    async alertsFor(requestId) {
      return sn.incidentsOf(requestId).length;
    },
    loseNextAlertAnswers(n) {
      for (let i = 0; i < n; i++)
        sn.loseNextAnswer((method, path) => method === 'POST' && path === '/api/now/table/incident');
    },
    unusedFaults: () => sn.unusedFaults(),
    stop: () => sn.stop(),
  };
}

export const servicenowOnCallAdapter: OnCallAdapter = {
  id: 'servicenow',
  definition: servicenowPlugin as unknown as PluginDefinition,
  levels: false,
  startFake: startServiceNowOnCallFake,
};
