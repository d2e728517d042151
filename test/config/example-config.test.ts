// The shipped example config must stay valid: every key it documents exists, and every plugin
// block it shows passes that plugin's real schema once enabled.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { validateRoleDocuments } from '../../src/api/directory-service.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { configSchema } from '../../src/config/schema.js';

const EXAMPLE = fileURLToPath(new URL('../../config/accessbot.example.yaml', import.meta.url));
const EXAMPLE_ROLES = fileURLToPath(new URL('../../config/roles.example.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'accessbot-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRETS = {
  ACCESSBOT_HOST_TOKEN: 'abt_host-token-for-tests',
  ACCESSBOT_WEBHOOK_SECRET: 'webhook-secret-0123456789',
  SLACK_SIGNING_SECRET: 'slack-signing-secret',
  JIRA_API_TOKEN: 'jira-api-token',
  JIRA_WEBHOOK_SECRET: 'jira-webhook-secret-0123',
  PAGERDUTY_API_KEY: 'pd-api-key',
  DISCORD_BOT_TOKEN: 'discord-bot-token',
  DISCORD_PUBLIC_KEY: 'a'.repeat(64),
  MATTERMOST_BOT_TOKEN: 'mattermost-bot-token',
  MATTERMOST_ACTION_SECRET: 'mattermost-action-secret-0123456789',
  TEAMS_CLIENT_SECRET: 'teams-client-secret',
  SMTP_PASSWORD: 'smtp-password',
};

/** `a.b.c` → value for every leaf of plain objects (arrays are leaves). */
function leaves(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      for (const [path, leaf] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(path, leaf);
    }
  } else if (prefix) out.set(prefix, value);
  return out;
}

describe('config/accessbot.example.yaml', () => {
  it('documents every setting that has a default, showing that default', () => {
    const tree = parseYaml(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
    const example = leaves(tree);
    // Compared as parsed (durations are milliseconds once parsed), so `1h` shows the 1h default.
    const shown = leaves(configSchema.parse({ ...tree, plugins: {} }));
    // Defaults the example deliberately shows otherwise: a routing that sends somewhere.
    const shownOtherwise = new Set(['host.routing']);
    const missing: string[] = [];
    const different: string[] = [];
    for (const [path, value] of leaves(configSchema.parse({}))) {
      if (shownOtherwise.has(path)) continue;
      if (!example.has(path)) missing.push(path);
      else if (JSON.stringify(shown.get(path)) !== JSON.stringify(value)) different.push(path);
    }
    expect({ missing, different }).toEqual({ missing: [], different: [] });
  });

  it('loads as shipped: disabled plugin blocks need none of their secrets', async () => {
    const env = {
      ACCESSBOT_HOST_TOKEN: SECRETS.ACCESSBOT_HOST_TOKEN,
      ACCESSBOT_WEBHOOK_SECRET: SECRETS.ACCESSBOT_WEBHOOK_SECRET,
    };
    const { config, pluginConfigs } = await loadConfig({ file: EXAMPLE, env });
    expect([...pluginConfigs.keys()]).toEqual(['webhook']);
    expect(config.host.api.token).toBe(SECRETS.ACCESSBOT_HOST_TOKEN);
    expect(config.host.routing.length).toBeGreaterThan(0);
  });

  it('names the secrets an enabled block is missing', async () => {
    const err = await loadConfig({ file: EXAMPLE, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).details.map((i) => i.path).sort()).toEqual([
      'host.api.token',
      'plugins.webhook.secret',
    ]);
  });

  it('every plugin block passes its plugin schema once enabled', async () => {
    const tokenFile = join(dir, 'slack-token');
    writeFileSync(tokenFile, 'xoxb-from-file\n');
    const enabled = readFileSync(EXAMPLE, 'utf8')
      .replaceAll('enabled: false', 'enabled: true')
      .replace('file:/run/secrets/slack-bot-token', `file:${tokenFile}`);
    const file = join(dir, 'all-enabled.yaml');
    writeFileSync(file, enabled);
    const { pluginConfigs } = await loadConfig({ file, env: SECRETS });
    expect([...pluginConfigs.keys()].sort()).toEqual([
      'discord',
      'email',
      'jira',
      'mattermost',
      'pagerduty',
      'slack',
      'teams',
      'webhook',
    ]);
    expect(pluginConfigs.get('slack')).toMatchObject({ token: 'xoxb-from-file' });
  });

  it('is a working start: once enabled, PagerDuty auto-approval is not limited to example schedules or roles', async () => {
    const enabled = readFileSync(EXAMPLE, 'utf8').replaceAll('enabled: false', 'enabled: true');
    const file = join(dir, 'pagerduty-enabled.yaml');
    writeFileSync(file, enabled.replace('file:/run/secrets/slack-bot-token', 'xoxb-inline'));
    const { plugins } = await loadConfig({ file, env: SECRETS });
    // auto_approval is read by the host (the on-call policy), not handed to the plugin.
    const autoApproval = plugins.get('pagerduty')!.onCall!;
    expect(autoApproval.enabled).toBe(true);
    expect(autoApproval.schedules).toBeUndefined();
    expect(autoApproval.roles).toBeUndefined();
  });
});

describe('config/roles.example.yaml', () => {
  it("shows the PagerDuty plugin's request annotations, valid once uncommented", () => {
    const text = readFileSync(EXAMPLE_ROLES, 'utf8');
    const uncommented = text
      .replace('      # annotations:', '      annotations:')
      .replace(/ {6}# {3}(pagerduty_\w+: \[.*\])/g, '        $1');
    expect(uncommented).not.toBe(text);
    const contractor = validateRoleDocuments(uncommented).find((r) => r.metadata.name === 'contractor')!;
    expect(contractor.spec.allow?.request?.annotations).toEqual({
      pagerduty_notify_service: ['Access Requests'],
      pagerduty_services: ['Databases'],
    });
  });
});
