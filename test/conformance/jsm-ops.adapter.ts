// The jsm-ops plugin against the fake JSM Operations / Opsgenie (test/fakes/jsm-ops), for either
// flavor. A message is the alert raised for the "Access Reviewers" team; it shows PENDING while
// open and, once closed, the state its closing note names; notes are its replies. Neither
// platform takes decisions (people approve elsewhere; on-call approval is the on-call suite's),
// so no alert carries actions.

import jsmOpsPlugin from '../../plugins/jsm-ops/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import type { FakeAlert } from '../fakes/jsm-ops/directory.js';
import { type Flavor, isWrite, startFakeJsmOps } from '../fakes/jsm-ops/server.js';
import type { ConformanceAdapter, ConformanceUser, PlatformFake, PlatformMessage } from './adapter.js';

const TEAM = 'Access Reviewers';
const STATES = /\b(APPROVED|DENIED|EXPIRED|WITHDRAWN)\b/;

async function startJsmOpsFake(flavor: Flavor, users: ConformanceUser[]): Promise<PlatformFake> {
  const ops = await startFakeJsmOps();
  for (const user of users) ops.dir.addUser({ fullName: user.name, username: user.email });
  const team = ops.dir.addTeam(TEAM);

  const alertsOf = (requestId: string): FakeAlert[] =>
    ops.dir.alerts.filter((a) => a.alias.startsWith(`accessbot-${requestId}-`));
  const notesOf = (alert: FakeAlert) => ops.dir.notesOf(alert.id).map((n) => n.note);
  const statusOf = (alert: FakeAlert): string => {
    if (alert.status === 'open') return 'PENDING';
    const named = notesOf(alert)
      .map((note) => STATES.exec(note)?.[1])
      .filter((state): state is string => state !== undefined);
    return named.at(-1) ?? 'CLOSED';
  };
  const credentials =
    flavor === 'jsm'
      ? { cloud_id: ops.cloudId, email: ops.email, api_token: ops.apiToken }
      : { api_key: ops.apiKey };

  return {
    pluginConfig: { flavor, ...credentials, base_url: ops.url },
    // JSM Operations takes responders by id; Opsgenie by name as well.
    reviewerRecipients: [flavor === 'jsm' ? `team:${team.id}` : `team:${TEAM}`],
    async messages(requestId): Promise<PlatformMessage[]> {
      return alertsOf(requestId).map((alert) => ({
        id: alert.id,
        target: alert.responders.map((r) => r.id ?? r.name).join(','),
        status: statusOf(alert),
        actions: [],
        text: [alert.message, alert.description, ...notesOf(alert)].join('\n'),
      }));
    },
    async replies(requestId) {
      return alertsOf(requestId).flatMap(notesOf);
    },
    failNext: (n) => ops.failNext(n, { match: isWrite }),
    rateLimitNext: (n, seconds) => ops.rateLimitNext(n, seconds, isWrite),
    loseNextAnswers(n) {
      for (let i = 0; i < n; i++)
        ops.loseNextResponse((method, path) => method === 'POST' && /^\/alerts(\/[^/]+\/notes)?$/.test(path));
    },
    unusedFaults: () => ops.unusedFaults(),
    stop: () => ops.stop(),
  };
}

export function jsmOpsAdapter(flavor: Flavor): ConformanceAdapter {
  return {
    id: 'jsm-ops',
    definition: jsmOpsPlugin as unknown as PluginDefinition,
    startFake: (users) => startJsmOpsFake(flavor, users),
  };
}
