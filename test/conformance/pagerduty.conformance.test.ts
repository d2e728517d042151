// The PagerDuty plugin against the fake PagerDuty REST API (test/fakes/pagerduty). A message is
// the incident opened on the "Access Requests" service; it shows PENDING while open and, once
// resolved, the state its resolution note names; notes are its replies. PagerDuty offers no
// decisions (people approve elsewhere; its on-call auto-approval is tested in test/on-call/ and
// test/plugins/pagerduty.test.ts), so no incident ever carries actions.

import pagerdutyPlugin from '../../plugins/pagerduty/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import type { FakeIncident } from '../fakes/pagerduty/directory.js';
import { startFakePagerDuty } from '../fakes/pagerduty/server.js';
import type { ConformanceAdapter, ConformanceUser, PlatformFake, PlatformMessage } from './adapter.js';
import { describeConformance } from './suite.js';

const SERVICE = 'Access Requests';
const BOT_EMAIL = 'accessbot@example.com';
const STATES = /\b(APPROVED|DENIED|EXPIRED|WITHDRAWN)\b/;

const isWrite = (method: string) => method !== 'GET';

async function startPagerDutyFake(users: ConformanceUser[]): Promise<PlatformFake> {
  const pd = await startFakePagerDuty();
  pd.dir.addUser({ name: 'Access Bot', email: BOT_EMAIL });
  for (const user of users) pd.dir.addUser({ name: user.name, email: user.email });
  pd.dir.addService(SERVICE);

  const incidentsOf = (requestId: string): FakeIncident[] =>
    pd.dir.incidents.filter((i) => i.incident_key?.endsWith(`/${requestId}`));
  const notesOf = (incident: FakeIncident) => pd.dir.notesOf(incident.id).map((n) => n.content);

  /** Open: PENDING; resolved: the state named by the latest note that names one. */
  const statusOf = (incident: FakeIncident): string => {
    if (incident.status !== 'resolved') return 'PENDING';
    const named = notesOf(incident)
      .map((note) => STATES.exec(note)?.[1])
      .filter((state): state is string => state !== undefined);
    return named.at(-1) ?? 'RESOLVED';
  };

  return {
    pluginConfig: {
      api_key: pd.apiKey,
      from_email: BOT_EMAIL,
      base_url: pd.url,
      auto_approval: { enabled: false },
    },
    reviewerRecipients: [SERVICE],
    async messages(requestId): Promise<PlatformMessage[]> {
      return incidentsOf(requestId).map((incident) => ({
        id: incident.id,
        target: incident.service.id,
        status: statusOf(incident),
        actions: [],
        text: [incident.title, incident.body?.details ?? '', ...notesOf(incident)].join('\n'),
      }));
    },
    async replies(requestId) {
      return incidentsOf(requestId).flatMap(notesOf);
    },
    failNext: (n) => pd.failNext(n, { match: isWrite }),
    rateLimitNext: (n, seconds) => pd.rateLimitNext(n, seconds, isWrite),
    loseNextAnswers(n) {
      for (let i = 0; i < n; i++)
        pd.loseNextResponse(
          (method, path) => method === 'POST' && /^\/incidents(\/[A-Z0-9]+\/notes)?$/.test(path),
        );
    },
    unusedFaults: () => pd.unusedFaults(),
    stop: () => pd.stop(),
  };
}

export const pagerdutyAdapter: ConformanceAdapter = {
  id: 'pagerduty',
  definition: pagerdutyPlugin as unknown as PluginDefinition,
  startFake: startPagerDutyFake,
};

describeConformance(pagerdutyAdapter, { replies: true, lostAnswers: true, decisions: false });
