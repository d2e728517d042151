import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig, readEnvOptions } from '../../src/config/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';

const dir = mkdtempSync(join(tmpdir(), 'accessbot-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function writeConfig(text: string): string {
  const file = join(dir, `config-${++n}.yaml`);
  writeFileSync(file, text);
  return file;
}

// A plugin definition as a plugin folder would export it; its schema is strict like real ones.
function fakePlugin(id: string, schema: z.ZodType): PluginDefinition {
  return {
    id,
    description: `${id} for tests`,
    configSchema: schema,
    create: () => {
      throw new Error('not used by the loader');
    },
  };
}
const chat = fakePlugin(
  'chat',
  z
    .object({
      token: z.string().startsWith('xoxb-', 'must be a bot token (xoxb-...)'),
      api_url: z.url().default('https://chat.example.com/api/'),
      channel: z.string().min(1),
    })
    .strict(),
);
const tickets = fakePlugin(
  'tickets',
  z
    .object({
      // A plugin may (unwisely) echo the value in its message; the loader must still hide it.
      password: z
        .string()
        .refine((v) => v.length >= 32, { error: (iss) => `too short: ${String(iss.input)}` }),
    })
    .strict(),
);
const plugins = new Map([
  ['chat', chat],
  ['tickets', tickets],
]);

async function loadError(opts: Parameters<typeof loadConfig>[0]): Promise<ConfigError> {
  try {
    await loadConfig({ plugins, cwd: dir, env: {}, ...opts });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected the config to be refused');
}

describe('loadConfig', () => {
  it('uses the embedded defaults when there is no file and no env', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    const { config, source, pluginConfigs } = await loadConfig({ cwd: empty, env: {}, plugins });
    expect(source).toBeUndefined();
    expect(config.api.listen).toBe('127.0.0.1:3080');
    expect(config.host.delivery.attempts).toBe(12);
    expect(pluginConfigs.size).toBe(0);
  });

  it('reports every problem of one file at once, each with its path', async () => {
    const file = writeConfig(`
api:
  listen: "nowhere"
host:
  delivery:
    atempts: 5
    concurrency: lots
  api:
    token: \${ACCESSBOT_TEST_UNSET_TOKEN}
log:
  level: chatty
plugins:
  chat:
    token: file:/nonexistent/accessbot/slack-token
    channel: ""
  smoke_signals:
    hills: 3
`);
    const err = await loadError({ file });
    expect(err.code).toBe('CONFIG_INVALID');
    const byPath = new Map(err.details.map((i) => [i.path, i.message]));
    expect(byPath.get('api.listen')).toMatch(/host:port/);
    expect(byPath.get('host.delivery.atempts')).toBe('unknown key');
    expect(byPath.get('host.delivery.concurrency')).toMatch(/expected number/);
    expect(byPath.get('host.api.token')).toBe('environment variable ACCESSBOT_TEST_UNSET_TOKEN is not set');
    expect(byPath.get('log.level')).toMatch(/expected one of/);
    expect(byPath.get('plugins.chat.token')).toBe(
      'cannot read secret file /nonexistent/accessbot/slack-token (ENOENT)',
    );
    expect(byPath.get('plugins.chat.channel')).toMatch(/>=1 characters/);
    expect(byPath.get('plugins.smoke_signals')).toBe(
      'unknown plugin "smoke_signals" (installed: chat, tickets)',
    );
    expect(err.message).toBe(`configuration has ${err.details.length} problems in ${file}`);
    expect(err.describe()).toContain('host.delivery.atempts: unknown key');
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: config syntax, not a JS template
  it('resolves ${ENV} inside strings and file: secrets relative to the config file', async () => {
    mkdirSync(join(dir, 'secrets'), { recursive: true });
    writeFileSync(join(dir, 'secrets', 'chat-token'), '  xoxb-from-a-file\n');
    const file = writeConfig(`
host:
  public_url: https://\${PUBLIC_HOST}/accessbot
  api:
    token: \${HOST_TOKEN}
  redis:
    prefix: literal-$\${NOT_A_VAR}
plugins:
  chat:
    token: file:secrets/chat-token
    channel: "#ops"
`);
    const env = { PUBLIC_HOST: 'bot.example.com', HOST_TOKEN: 'tok-123456' };
    const { config, pluginConfigs, source } = await loadConfig({ file, env, plugins, cwd: '/' });
    expect(source).toBe(file);
    expect(config.host.public_url).toBe('https://bot.example.com/accessbot');
    expect(config.host.api.token).toBe('tok-123456');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: config syntax, not a JS template
    expect(config.host.redis.prefix).toBe('literal-${NOT_A_VAR}');
    expect(pluginConfigs.get('chat')).toEqual({
      token: 'xoxb-from-a-file',
      channel: '#ops',
      api_url: 'https://chat.example.com/api/',
    });
    expect(pluginConfigs.has('tickets')).toBe(false);
  });

  it('never puts a secret value into the error text', async () => {
    const secret = 'hunter2-very-secret-value';
    writeFileSync(join(dir, 'tickets-password'), `${secret}\n`);
    const file = writeConfig(`
host:
  public_url: \${PUBLIC_URL_SECRET}
  api:
    url: file:${join(dir, 'tickets-password')}
plugins:
  tickets:
    password: file:${join(dir, 'tickets-password')}
`);
    const err = await loadError({ file, env: { PUBLIC_URL_SECRET: `not a url ${secret}` } });
    const paths = err.details.map((i) => i.path).sort();
    expect(paths).toEqual(['host.api.url', 'host.public_url', 'plugins.tickets.password']);
    expect(err.details.find((i) => i.path === 'plugins.tickets.password')?.message).toBe(
      'too short: [redacted]',
    );
    const everything = `${err.message}\n${JSON.stringify(err.toJSON())}\n${err.describe().join('\n')}`;
    expect(everything).not.toContain(secret);
  });

  it('reports YAML syntax errors by line without echoing the offending line', async () => {
    const file = writeConfig('host:\n  api:\n    token: xoxb-leaky: nope\n');
    const err = await loadError({ file });
    expect(err.details).toHaveLength(1);
    expect(err.details[0]!.path).toBe('line 3, column 12');
    expect(err.details[0]!.message).toMatch(/^YAML syntax: /);
    expect(JSON.stringify(err.toJSON())).not.toContain('xoxb-leaky');
  });

  it('refuses typos inside api.store, naming each key (the database would go elsewhere)', async () => {
    const file = writeConfig('api:\n  store:\n    pth: /var/lib/accessbot/db.sqlite\n    drvier: sqlite\n');
    const err = await loadError({ file });
    expect(err.details).toEqual([
      { path: 'api.store.pth', message: 'unknown key' },
      { path: 'api.store.drvier', message: 'unknown key' },
    ]);
  });

  it('refuses a YAML alias bomb as a config problem, not a crash', async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array(9)
          .fill(i === 1 ? '*a' : `*${'b'.repeat(i - 1)}`)
          .join(',')}]`,
      );
    const file = writeConfig(lines.join('\n'));
    const err = await loadError({ file });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details[0]?.message).toMatch(/alias/i);
  });

  it('refuses an unknown plugin id even when nothing else is wrong', async () => {
    const file = writeConfig('plugins:\n  slak:\n    token: x\n');
    const err = await loadError({ file });
    expect(err.details).toEqual([
      { path: 'plugins.slak', message: 'unknown plugin "slak" (installed: chat, tickets)' },
    ]);
  });

  it('strips host keys before the plugin schema and skips disabled plugins', async () => {
    const file = writeConfig(`
plugins:
  chat:
    review_as: pagerduty-bot
    token: xoxb-1
    channel: "#ops"
  tickets:
    enabled: false
    password: short
`);
    const { pluginConfigs } = await loadConfig({ file, env: {}, plugins });
    expect([...pluginConfigs.keys()]).toEqual(['chat']);
    expect(pluginConfigs.get('chat')).not.toHaveProperty('review_as');
  });

  it('validates the host keys of a plugin block', async () => {
    const file = writeConfig('plugins:\n  chat:\n    enabled: "yes"\n    token: xoxb-1\n    channel: c\n');
    const err = await loadError({ file });
    expect(err.details.map((i) => i.path)).toEqual(['plugins.chat.enabled']);
  });

  it('lets env vars override the file, and reads ACCESSBOT_CONFIG', async () => {
    const file = writeConfig('host:\n  redis:\n    url: redis://from-file:6379\nlog:\n  level: warn\n');
    const env = {
      ACCESSBOT_CONFIG: file,
      REDIS_URL: 'redis://from-env:6380',
      ACCESSBOT_API_LISTEN: '0.0.0.0:9000',
      ACCESSBOT_API_URL: 'http://api.internal:3080',
      ACCESSBOT_HOST_TOKEN: 'host-token-abc',
      ACCESSBOT_DATA_DIR: '/var/lib/accessbot',
      LOG_LEVEL: 'debug',
    };
    const { config, source } = await loadConfig({ env, plugins, cwd: dir });
    expect(source).toBe(file);
    expect(config.host.redis.url).toBe('redis://from-env:6380');
    expect(config.api.listen).toBe('0.0.0.0:9000');
    expect(config.host.api.url).toBe('http://api.internal:3080');
    expect(config.host.api.token).toBe('host-token-abc');
    expect(config.api.data_dir).toBe('/var/lib/accessbot');
    expect(config.log.level).toBe('debug');
  });

  it('reports a bad env override under the config path it sets', async () => {
    const err = await loadError({ env: { LOG_LEVEL: 'loud', ACCESSBOT_DELIVERY_ATTEMPTS: 'many' } });
    expect(err.details.map((i) => i.path).sort()).toEqual(['host.delivery.attempts', 'log.level']);
  });

  it('resolves file: in env overrides (mounted secrets)', async () => {
    writeFileSync(join(dir, 'host-token'), 'tok-from-mounted-file\n');
    const { config } = await loadConfig({
      env: { ACCESSBOT_HOST_TOKEN: `file:${join(dir, 'host-token')}` },
      cwd: mkdtempSync(join(dir, 'nofile-')),
      plugins,
    });
    expect(config.host.api.token).toBe('tok-from-mounted-file');
  });

  it('reads ./accessbot.yaml from cwd by default and refuses a named file that is missing', async () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    writeFileSync(join(cwd, 'accessbot.yaml'), 'api:\n  request_ttl: 2h\n');
    const { config, source } = await loadConfig({ cwd, env: {}, plugins });
    expect(source).toBe(join(cwd, 'accessbot.yaml'));
    expect(config.api.request_ttl).toBe(2 * 3_600_000);

    const err = await loadError({ file: 'missing.yaml', cwd });
    expect(err.details).toEqual([
      { path: '(file)', message: `cannot read config file ${join(cwd, 'missing.yaml')} (ENOENT)` },
    ]);
  });
});

describe('readEnvOptions', () => {
  it('maps only the variables that are set and non-empty', () => {
    const opts = readEnvOptions({
      REDIS_URL: 'redis://r:6379',
      LOG_LEVEL: '',
      ACCESSBOT_CONFIG: '/etc/a.yaml',
    });
    expect(opts.configFile).toBe('/etc/a.yaml');
    expect(opts.overrides).toEqual([
      { path: ['host', 'redis', 'url'], value: 'redis://r:6379', variable: 'REDIS_URL' },
    ]);
  });
});

describe('disabled plugin blocks', () => {
  it('are not resolved, so their missing secrets are no error', async () => {
    const file = writeConfig(`
plugins:
  chat:
    enabled: false
    token: \${NOT_SET_ANYWHERE}
    channel: file:/nonexistent/channel
`);
    const { pluginConfigs, config } = await loadConfig({ file, env: {}, plugins });
    expect(pluginConfigs.size).toBe(0);
    expect(config.plugins.chat).toMatchObject({ enabled: false });
  });
});

describe('validatePlugins: false', () => {
  it('ignores plugin blocks entirely (client commands need only api.*)', async () => {
    const file = writeConfig(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: config syntax, not a JS template
      'api:\n  listen: 127.0.0.1:4100\nplugins:\n  nosuch:\n    a: 1\n  chat:\n    token: ${UNSET_X}\n',
    );
    const { config, pluginConfigs } = await loadConfig({ file, env: {}, plugins, validatePlugins: false });
    expect(config.api.listen).toBe('127.0.0.1:4100');
    expect(pluginConfigs.size).toBe(0);
  });
});
