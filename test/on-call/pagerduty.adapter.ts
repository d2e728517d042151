// PagerDuty's adapter for the on-call contract suite (pagerduty.on-call.test.ts) and the bench, against the fake PagerDuty REST API
// (test/fakes/pagerduty). Scopes are services; a shift is an /oncalls entry on a service's
// escalation policy; the alert is the incident on the "Access Requests" service. On-call reads
// are the user lookups and /oncalls listings (service lookups also resolve routing targets).

import pagerdutyPlugin from '../../plugins/pagerduty/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import type { FakeService, FakeUser, Reference } from '../fakes/pagerduty/directory.js';
import { startFakePagerDuty } from '../fakes/pagerduty/server.js';
import type { OnCallAdapter, OnCallFake, OnCallPerson } from './adapter.js';

const ALERTS_SERVICE = 'Access Requests';
const BOT_EMAIL = 'accessbot@example.com';

const isOnCallRead = (method: string, path: string) =>
  method === 'GET' && (path === '/users' || path === '/oncalls');

export async function startPagerDutyOnCallFake(people: OnCallPerson[]): Promise<OnCallFake> {
  const pd = await startFakePagerDuty();
  pd.dir.addUser({ name: 'Access Bot', email: BOT_EMAIL });
  const users = new Map<string, FakeUser>();
  for (const p of people) users.set(p.email, pd.dir.addUser({ name: p.name, email: p.email }));
  pd.dir.addService(ALERTS_SERVICE);
  const services = new Map<string, FakeService>();
  const schedules = new Map<string, Reference>();

  return {
    pluginConfig: { api_key: pd.apiKey, from_email: BOT_EMAIL, base_url: pd.url },
    recipients: [ALERTS_SERVICE],
    scopeAnnotation: 'pagerduty_services',
    addScope(name) {
      services.set(name, pd.dir.addService(name));
      return name;
    },
    putOnCall(person, scope, shift) {
      const service = services.get(scope);
      const user = users.get(person.email);
      if (!service || !user) throw new Error(`unknown service ${scope} or person ${person.email}`);
      let schedule = schedules.get(shift.schedule);
      if (!schedule) {
        schedule = pd.dir.addSchedule(shift.schedule);
        schedules.set(shift.schedule, schedule);
      }
      pd.dir.putOnCall(user, service.escalation_policy, shift.level, schedule);
      return shift.schedule;
    },
    failNextOnCallReads: (n) => pd.failNext(n, { match: isOnCallRead }),
    rateLimitNextOnCallReads: (n, seconds) => pd.rateLimitNext(n, seconds, isOnCallRead),
    onCallReads: () => pd.calls.filter((c) => isOnCallRead(c.method, c.path)).length,
    async alertsFor(requestId) {
      return pd.dir.incidents.filter((i) => i.incident_key?.endsWith(`/${requestId}`)).length;
    },
    loseNextAlertAnswers(n) {
      for (let i = 0; i < n; i++)
        pd.loseNextResponse((method, path) => method === 'POST' && path === '/incidents');
    },
    unusedFaults: () => pd.unusedFaults(),
    stop: () => pd.stop(),
  };
}

export const pagerdutyOnCallAdapter: OnCallAdapter = {
  id: 'pagerduty',
  definition: pagerdutyPlugin as unknown as PluginDefinition,
  levels: true,
  startFake: startPagerDutyOnCallFake,
};
