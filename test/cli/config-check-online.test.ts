// `accessbot config check` vouches for what `serve` accepts, and `--online` finds what would go
// wrong at the first real request: the real command against a real API and the fake Slack,
// Jira and PagerDuty, through each plugin's real SDK.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeJira, startFakeJira } from '../fakes/jira/index.js';
import { ALL_PERMISSIONS } from '../fakes/jira/model.js';
import { type FakePagerDuty, startFakePagerDuty } from '../fakes/pagerduty/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { usersWithEmail, worldRolesYaml } from '../support/seed-world.js';
import { runCli } from './cli-runner.js';
import { EXAMPLE_ROLES_FILE } from './fixtures.js';

let dir: string;
let api: TestApi;
let slack: FakeSlack;
let jira: FakeJira;
let pd: FakePagerDuty;

const JIRA_SECRET = 'jira-webhook-secret-0123456789';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'accessbot-check-'));
  api = await startTestApi({
    rolesYaml: worldRolesYaml(
      [
        { name: 'requester', request: { roles: ['dba'] } },
        { name: 'approver', review: ['dba'] },
      ],
      ['dba'],
    ),
    users: usersWithEmail({ 'pagerduty-bot': ['approver'], 'jira-bot': ['requester'], alice: ['approver'] }),
  });
  slack = await new FakeSlack().start();
  slack.addChannel('ops');
  slack.addUser({ id: 'UALICE', name: 'alice', email: 'alice@example.com' });
  jira = await startFakeJira();
  jira.addUser({
    accountId: 'bot-1',
    displayName: 'accessbot',
    email: 'accessbot@example.com',
    apiToken: 'bot-token',
    permissions: [...ALL_PERMISSIONS, 'ADMINISTER'],
  });
  jira.model.addProject('SEC');
  // A workflow whose issues start in "Open", before the pending status.
  jira.model.addProject('OPS', 'Task', [
    { id: '10010', name: 'Open' },
    { id: '10011', name: 'Pending' },
    { id: '10012', name: 'Approved' },
    { id: '10013', name: 'Denied' },
    { id: '10014', name: 'Expired' },
  ]);
  pd = await startFakePagerDuty();
  pd.dir.addUser({ name: 'Access Bot', email: 'accessbot@example.com' });
  pd.dir.addService('Databases');
  pd.dir.addSchedule('DB primary');
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await slack?.stop();
  await jira?.stop();
  await pd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function configFile(
  name: string,
  opts: {
    slackToken: string;
    jiraProject: string;
    expired: string;
    fromEmail: string;
    pdReviewAs: string;
    /** `plugins.pagerduty.auto_approval.schedules`. */
    pdSchedule: string;
    jiraReviewAs: string;
    slackTarget: string;
    redisUrl?: string;
  },
): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `api:
  listen: 127.0.0.1:0
  data_dir: ${join(dir, 'data')}
  store:
    path: ${join(dir, 'data', 'accessbot.db')}
host:
${opts.redisUrl ? `  redis:\n    url: ${opts.redisUrl}\n` : ''}  routing:
    - roles: ['*']
      targets:
        slack: ['#ops', '${opts.slackTarget}']
        pagerduty: ['Databases']
plugins:
  slack:
    token: ${opts.slackToken}
    signing_secret: slack-signing-secret
    api_url: ${slack.apiUrl}
  jira:
    review_as: ${opts.jiraReviewAs}
    base_url: ${jira.baseUrl}
    auth: { type: basic, email: accessbot@example.com, api_token: bot-token }
    project: ${opts.jiraProject}
    webhook_secret: ${JIRA_SECRET}
    statuses: { expired: ${opts.expired} }
  pagerduty:
    review_as: ${opts.pdReviewAs}
    api_key: ${pd.apiKey}
    base_url: ${pd.url}
    from_email: ${opts.fromEmail}
    auto_approval:
      max_escalation_level: 1
      schedules: ['${opts.pdSchedule}']
`,
  );
  return file;
}

const online = (file: string) =>
  runCli(
    [
      '--api',
      api.api.url,
      '--token-file',
      api.api.adminTokenFile,
      'config',
      'check',
      '--online',
      '--config',
      file,
    ],
    {
      cwd: dir,
    },
  );

describe('config check --online', { timeout: 120_000 }, () => {
  it('a set-up that works: every part is reported OK, exit 0', async () => {
    const file = configFile('good.yaml', {
      slackToken: slack.botToken,
      jiraProject: 'SEC',
      expired: 'Expired',
      fromEmail: 'accessbot@example.com',
      pdReviewAs: 'pagerduty-bot',
      pdSchedule: 'db PRIMARY',
      jiraReviewAs: 'alice',
      slackTarget: 'alice@example.com',
      redisUrl: `unix://${process.env.ACCESSBOT_TEST_REDIS_SOCKET}`,
    });
    const r = await online(file);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      `config OK: ${file}`,
      `online OK: api ${api.api.url} (as admin)`,
      'online OK: redis',
      'online OK: plugin slack',
      'online OK: plugin jira',
      'online OK: plugin pagerduty',
    ]);
  });

  it('reports per plugin what is wrong, one line each, exit 1', async () => {
    const file = configFile('bad.yaml', {
      slackToken: 'xoxb-revoked',
      jiraProject: 'OPS',
      expired: 'Closed',
      fromEmail: 'nobody@example.com',
      pdReviewAs: 'ghost',
      pdSchedule: 'No such rota',
      jiraReviewAs: 'jira-bot',
      slackTarget: 'nobody@example.com',
      redisUrl: 'redis://127.0.0.1:9',
    });
    const r = await online(file);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^error \[CONFIG_INVALID\]: \d+ problems found online \(each problem is listed below\)$/,
    );
    const problems = lines.slice(1);
    const expectLine = (prefix: string, ...parts: string[]) => {
      const line = problems.find((l) => l.startsWith(`  ${prefix}: `) && parts.every((p) => l.includes(p)));
      expect(line, `a line for ${prefix} with ${parts.join(' / ')} in:\n${r.stderr}`).toBeDefined();
    };
    expectLine('plugins.slack', 'invalid_auth');
    expectLine('host.routing[0].targets.slack', '"nobody@example.com" does not resolve');
    expectLine('plugins.jira', 'starts in "Open", not in the pending status "Pending"');
    expectLine('plugins.jira', 'no status for expired → "Closed"');
    expectLine('plugins.jira.review_as', 'access user "jira-bot" has no review rights');
    expectLine('plugins.pagerduty', 'from_email nobody@example.com is not a PagerDuty user');
    expectLine('plugins.pagerduty.review_as', 'access user "ghost" does not exist');
    expectLine('plugins.pagerduty.auto_approval.schedules', 'PagerDuty has no schedule No such rota');
    expectLine('host.redis.url', 'Redis does not answer');
    // Every problem line names its place; nothing else is printed between them.
    for (const line of problems)
      expect(line).toMatch(
        /^ {2}(api|host\.redis\.url|plugins\.[a-z]+(\.review_as|\.auto_approval\.schedules)?|host\.routing\[\d+\]\.targets\.[a-z]+): \S/,
      );
    expect(r.stdout).toContain(`online OK: api ${api.api.url} (as admin)`);
  });

  it('an API that cannot be reached is exit 3', async () => {
    const file = configFile('noapi.yaml', {
      slackToken: slack.botToken,
      jiraProject: 'SEC',
      expired: 'Expired',
      fromEmail: 'accessbot@example.com',
      pdReviewAs: 'pagerduty-bot',
      pdSchedule: 'db PRIMARY',
      jiraReviewAs: 'alice',
      slackTarget: '#ops',
    });
    const r = await runCli(
      [
        '--api',
        'http://127.0.0.1:9',
        '--token-file',
        api.api.adminTokenFile,
        'config',
        'check',
        '--online',
        '--config',
        file,
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error \[CONFIG_INVALID\]: 1 problem found online/);
    expect(r.stderr).toContain('  api: cannot reach the access API at http://127.0.0.1:9');
  });
});

describe('config check catches what serve refuses', { timeout: 120_000 }, () => {
  it('a roles_file relative to another folder: check and serve both refuse it, serve before writing anything', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const file = join(dir, 'relative.yaml');
    writeFileSync(
      file,
      'api:\n  listen: 127.0.0.1:0\n  data_dir: ./data\n  store:\n    path: ./data/accessbot.db\n  roles_file: ./config/roles.example.yaml\nplugins: {}\n',
    );
    const check = await runCli(['config', 'check', '--config', file], { cwd: elsewhere });
    expect(check.code).toBe(1);
    expect(check.stderr.trimEnd().split('\n')).toEqual([
      `error [CONFIG_INVALID]: configuration has 1 problem in ${file} (each problem is listed below)`,
      `  api.roles_file: ${join(elsewhere, 'config', 'roles.example.yaml')}: cannot read api.roles_file ${join(elsewhere, 'config', 'roles.example.yaml')} (ENOENT)`,
    ]);
    const serve = await runCli(['serve', '--config', file], {
      cwd: elsewhere,
      env: { ACCESSBOT_HOST_LISTEN: '127.0.0.1:0' },
    });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain(
      `cannot read api.roles_file ${join(elsewhere, 'config', 'roles.example.yaml')}`,
    );
    // Nothing was created: no database, no admin user, no token file.
    expect(existsSync(join(elsewhere, 'data'))).toBe(false);

    // Where the relative path does lead to the file, both accept it.
    mkdirSync(join(elsewhere, 'config'));
    writeFileSync(join(elsewhere, 'config', 'roles.example.yaml'), 'not: [a role');
    const invalid = await runCli(['config', 'check', '--config', file], { cwd: elsewhere });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('  api.roles_file: ');
    // From the repository root the same relative path is the example roles file: accepted.
    const good = await runCli(['config', 'check', '--config', file], {
      cwd: dirname(dirname(EXAMPLE_ROLES_FILE)),
    });
    expect(good.code, good.stderr).toBe(0);
  });
});

describe('config check catches a Redis URL serve cannot use', { timeout: 120_000 }, () => {
  it('an http:// Redis URL: check lists it, serve refuses it', async () => {
    const file = join(dir, 'redis-url.yaml');
    writeFileSync(
      file,
      `api:\n  listen: 127.0.0.1:0\n  data_dir: ${join(dir, 'redis-data')}\n  store:\n    path: ${join(dir, 'redis-data', 'a.db')}\nhost:\n  listen: 127.0.0.1:0\n  redis:\n    url: http://127.0.0.1:6379\nplugins: {}\n`,
    );
    const check = await runCli(['config', 'check', '--config', file], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(
      '  host.redis.url: expected redis://, rediss:// or unix://, got http: (e.g. redis://127.0.0.1:6379)',
    );
    const serve = await runCli(['serve', '--config', file], { cwd: dir });
    expect(serve.code).not.toBe(0);
    expect(serve.stderr).toContain('expected redis://, rediss:// or unix://, got http:');
  });
});

describe('config check catches a Redis TLS file serve cannot read', { timeout: 120_000 }, () => {
  it('a missing key_file: check names the key and the path, serve refuses to start', async () => {
    const file = join(dir, 'redis-tls.yaml');
    const missing = join(dir, 'no-such-client.key');
    writeFileSync(
      file,
      `api:\n  listen: 127.0.0.1:0\n  data_dir: ${join(dir, 'tls-data')}\n  store:\n    path: ${join(dir, 'tls-data', 'a.db')}\nhost:\n  listen: 127.0.0.1:0\n  redis:\n    url: rediss://127.0.0.1:6380\n    tls:\n      cert_file: ${file}\n      key_file: ${missing}\nplugins: {}\n`,
    );
    const check = await runCli(['config', 'check', '--config', file], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`  host.redis.tls.key_file: cannot read ${missing} (ENOENT)`);
    const serve = await runCli(['serve', '--config', file], { cwd: dir });
    expect(serve.code).not.toBe(0);
    expect(serve.stderr).toContain(`host.redis.tls.key_file: cannot read ${missing} (ENOENT)`);
  });
});

describe('accessbot --help', () => {
  it('agrees with the README about API replicas: one per SQLite database, several on PostgreSQL', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    // Commander wraps long descriptions: compare with the line breaks folded.
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      'api run the access API only (one process per SQLite database; several replicas share one PostgreSQL database)',
    );
    const readme = readFileSync(join(dirname(dirname(EXAMPLE_ROLES_FILE)), 'README.md'), 'utf8');
    expect(readme).toContain('Several `accessbot api` replicas share one PostgreSQL database');
    expect(readme).toContain('with\n  SQLite the API is one process');
  });
});
