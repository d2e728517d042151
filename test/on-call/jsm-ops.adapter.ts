// The jsm-ops plugin through the on-call contract suite, against the fake JSM Operations /
// Opsgenie (test/fakes/jsm-ops), for either flavor. A scope is a schedule (JSM: named by id;
// Opsgenie: by name, as an admin may write it); a shift puts the person on call in it, and the
// schedule's own name is what `auto_approval.schedules` matches. Schedules have no escalation
// levels (every shift is level 1). JSM answers with Atlassian account ids, so each access user
// carries the `atlassian_account_id` trait; Opsgenie answers with usernames (emails). The alert
// is raised for the "Access Reviewers" team. On-call reads are the schedule and on-call GETs.

import jsmOpsPlugin from '../../plugins/jsm-ops/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import type { FakeOpsUser, FakeSchedule } from '../fakes/jsm-ops/directory.js';
import { type Flavor, startFakeJsmOps } from '../fakes/jsm-ops/server.js';
import type { OnCallAdapter, OnCallFake, OnCallPerson } from './adapter.js';

const TEAM = 'Access Reviewers';
const isOnCallRead = (method: string, path: string) => method === 'GET' && path.startsWith('/schedules/');

export async function startJsmOpsOnCallFake(flavor: Flavor, people: OnCallPerson[]): Promise<OnCallFake> {
  const ops = await startFakeJsmOps();
  const users = new Map<string, FakeOpsUser>();
  for (const p of people) users.set(p.email, ops.dir.addUser({ fullName: p.name, username: p.email }));
  const team = ops.dir.addTeam(TEAM);
  /** By what a request names them: the id (JSM) or the name (Opsgenie). */
  const schedules = new Map<string, FakeSchedule>();

  return {
    pluginConfig:
      flavor === 'jsm'
        ? { flavor, cloud_id: ops.cloudId, email: ops.email, api_token: ops.apiToken, base_url: ops.url }
        : { flavor, api_key: ops.apiKey, base_url: ops.url },
    recipients: [flavor === 'jsm' ? `team:${team.id}` : `team:${TEAM}`],
    scopeAnnotation: 'jsm_ops_schedules',
    traitsFor:
      flavor === 'jsm'
        ? (person): Record<string, string[]> => {
            const user = users.get(person.email);
            return user ? { atlassian_account_id: [user.accountId] } : {};
          }
        : undefined,
    addScope(name) {
      const schedule = ops.dir.addSchedule(name);
      const key = flavor === 'jsm' ? schedule.id : schedule.name;
      schedules.set(key, schedule);
      return key;
    },
    putOnCall(person, scope) {
      const schedule = schedules.get(scope);
      const user = users.get(person.email);
      if (!schedule || !user) throw new Error(`unknown schedule ${scope} or person ${person.email}`);
      schedule.onCall.push(user.accountId);
      return schedule.name;
    },
    failNextOnCallReads: (n) => ops.failNext(n, { status: 503, match: isOnCallRead }),
    rateLimitNextOnCallReads: (n, seconds) => ops.rateLimitNext(n, seconds, isOnCallRead),
    onCallReads: () => ops.calls.filter((c) => isOnCallRead(c.method, c.path)).length,
    async alertsFor(requestId) {
      return ops.dir.alerts.filter((a) => a.alias.startsWith(`accessbot-${requestId}-`)).length;
    },
    loseNextAlertAnswers(n) {
      for (let i = 0; i < n; i++)
        ops.loseNextResponse((method, path) => method === 'POST' && path === '/alerts');
    },
    unusedFaults: () => ops.unusedFaults(),
    stop: () => ops.stop(),
  };
}

export function jsmOpsOnCallAdapter(flavor: Flavor): OnCallAdapter {
  return {
    id: 'jsm-ops',
    name: `jsm-ops (flavor: ${flavor})`,
    definition: jsmOpsPlugin as unknown as PluginDefinition,
    levels: false,
    startFake: (people) => startJsmOpsOnCallFake(flavor, people),
  };
}
