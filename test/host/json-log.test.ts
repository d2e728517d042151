// Every line a host writes is one JSON object whose fields do not shadow pino's own: the real
// host in its own process (Slack and PagerDuty plugins, real SDKs against the fakes), its
// stdout and stderr captured as an operator's log shipper would read them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServiceToken } from '../../src/api/server.js';
import { type FakePagerDuty, startFakePagerDuty } from '../fakes/pagerduty/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { usersWithEmail, worldRolesYaml } from '../support/seed-world.js';
import { type HostChild, spawnHostProcess, waitFor } from '../support/stack.js';

const ROLES = worldRolesYaml(
  [
    {
      name: 'oncall-engineer',
      request: { roles: ['dba'], annotations: { pagerduty_services: ['Databases'] } },
    },
    { name: 'approver', review: ['dba'] },
  ],
  ['dba'],
);

let api: TestApi;
let slack: FakeSlack;
let pd: FakePagerDuty;
let host: HostChild;
let ops: string;

beforeAll(async () => {
  api = await startTestApi({
    rolesYaml: ROLES,
    users: usersWithEmail({ alice: ['oncall-engineer'], 'pagerduty-bot': ['approver'] }),
  });
  slack = await new FakeSlack().start();
  ops = slack.addChannel('ops');
  slack.addUser({ id: 'UALICE', name: 'alice', email: 'alice@example.com' });
  // Slack adds warnings like this one to answers that are otherwise fine.
  slack.responseWarnings = ['missing_charset'];
  pd = await startFakePagerDuty();
  pd.dir.addUser({ name: 'Access Bot', email: 'accessbot@example.com' });
  const databases = pd.dir.addService('Databases');
  const alice = pd.dir.addUser({ name: 'Alice', email: 'alice@example.com' });
  pd.dir.putOnCall(alice, databases.escalation_policy, 1);
  const socket = process.env.ACCESSBOT_TEST_REDIS_SOCKET;
  if (!socket) throw new Error('the test Redis is not running (global setup)');
  host = await spawnHostProcess({
    apiUrl: api.api.url,
    apiToken: await ensureServiceToken(api.api.store, 'accessbot-host', ['accessbot-plugin']),
    redisSocket: socket,
    prefix: `log${Date.now().toString(36)}`,
    plugins: {
      slack: { token: slack.botToken, api_url: slack.apiUrl, interactions: 'none' },
      pagerduty: {
        api_key: pd.apiKey,
        base_url: pd.url,
        from_email: 'accessbot@example.com',
        review_as: 'pagerduty-bot',
      },
    },
    routing: [{ roles: ['dba'], targets: { slack: ['#ops'] } }],
    delivery: { backoff: '100ms', max_backoff: '1s', attempts: 10 },
    logLevel: 'info',
  });
}, 60_000);

afterAll(async () => {
  await host?.kill('SIGKILL');
  await slack?.stop();
  await pd?.stop();
  await api?.stop();
});

describe('the host log', () => {
  it('is JSON on every line, with one level per line, Slack SDK warnings included', async () => {
    const alice = await api.clientFor('alice');
    const req = await alice.createRequest({ roles: ['dba'], reason: 'on call tonight' });
    await waitFor(async () => (await api.adminClient.getRequest(req.id)).state === 'APPROVED', 30_000);
    // The Slack message shows the approval: the edit after the auto-review went through too.
    await waitFor(
      () => slack.rootMessages(ops).some((m) => JSON.stringify(m.blocks).includes('APPROVED')),
      30_000,
      'the approved Slack message',
    );
    await waitFor(() => host.stderr().includes('on call: auto-approving'), 10_000, 'the auto-approval line');
    await host.kill('SIGTERM');

    // Everything was kept (the capture keeps the last 1,000,000 characters), so no line is cut.
    expect(host.stdout().length + host.stderr().length).toBeLessThan(1_000_000);
    const lines = [...host.stdout().split('\n'), ...host.stderr().split('\n')].filter(
      (l) => l.trim() !== '' && !l.startsWith('READY '),
    );
    const notJson = lines.filter((l) => {
      try {
        return typeof JSON.parse(l) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    // A key repeated inside one line is lost to every JSON reader but the last value.
    for (const line of lines) expect(line.match(/"level":/g)).toHaveLength(1);

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const approving = parsed.find((l) => l.msg === 'on call: auto-approving');
    expect(approving).toMatchObject({ level: 30, escalation_level: 1, requestId: req.id });
    const warning = parsed.find((l) => typeof l.msg === 'string' && l.msg.includes('missing_charset'));
    expect(warning).toMatchObject({ level: 40, component: 'slack-web-api' });
  });
});
