// deploy/docker-compose.yml as docker-compose itself reads it (`docker-compose config`, v1 from
// Debian, installed by scripts/ensure-system.sh --tests; no Docker engine needed): the two
// profiles, health-gated start order, secrets as files that the config files actually read,
// and the config files themselves accepted by accessbot's loader.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.js';

const root = resolve(import.meta.dirname, '../..');
const composeFile = join(root, 'deploy/docker-compose.yml');

interface Service {
  command?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  secrets?: Array<{ source: string; target?: string }>;
  /** v1 prints the short form, `source:target:mode`. */
  volumes?: string[];
  ports?: unknown[];
  read_only?: boolean;
  cap_drop?: string[];
  environment?: Record<string, string>;
}
interface Compose {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
}

function compose(env: Record<string, string>, ...args: string[]) {
  return spawnSync('docker-compose', ['-f', composeFile, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  });
}

let normalized: Compose;

beforeAll(() => {
  const run = compose({ ACCESSBOT_PUBLIC_URL: 'https://access.example.com' }, 'config');
  if (run.error) {
    throw new Error(`cannot run docker-compose (${run.error.message}); run scripts/ensure-system.sh --tests`);
  }
  expect(run.status, run.stderr).toBe(0);
  normalized = parse(run.stdout) as Compose;
});

/** The `file:/run/secrets/<name>` references in a config file. */
function secretRefs(configFile: string): string[] {
  const text = readFileSync(configFile, 'utf8');
  return [...text.matchAll(/file:\/run\/secrets\/([\w.-]+)/g)].map((m) => m[1]!);
}

/** What a service mounts at `target`: the host path and whether it is read-only. */
function mountedAt(service: Service, target: string): { source: string; readOnly: boolean } | undefined {
  for (const volume of service.volumes ?? []) {
    const [source, at, mode] = volume.split(':');
    if (at === target) return { source: source!, readOnly: mode === 'ro' };
  }
  return undefined;
}

/** Whether start order can be satisfied: no service waits, through others, for itself. */
function noDependencyCycle(services: Record<string, Service>): boolean {
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string): boolean => {
    if (done.has(name)) return true;
    if (visiting.has(name)) return false;
    visiting.add(name);
    const ok = Object.keys(services[name]?.depends_on ?? {}).every(visit);
    visiting.delete(name);
    done.add(name);
    return ok;
  };
  return Object.keys(services).every(visit);
}

describe('docker-compose config', () => {
  it('refuses to render without the public URL, naming the variable', () => {
    const run = compose({}, 'config');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('set ACCESSBOT_PUBLIC_URL');
  });

  it('runs serve alone in one profile, and two APIs, two hosts, PostgreSQL and a proxy in the other', () => {
    const inProfile = (p: string) =>
      Object.entries(normalized.services)
        .filter(([, s]) => s.profiles?.includes(p))
        .map(([name]) => name)
        .sort();
    expect(inProfile('serve')).toEqual(['accessbot', 'redis']);
    expect(inProfile('ha')).toEqual(['api-1', 'api-2', 'host-1', 'host-2', 'postgres', 'proxy', 'redis']);
    expect(normalized.services['api-1']!.command).toContain('api');
    expect(normalized.services['host-2']!.command).toContain('host');
    expect(normalized.services.accessbot!.command).toContain('serve');
  });

  it('starts each service only once what it needs answers its health check', () => {
    for (const [name, service] of Object.entries(normalized.services)) {
      expect(service.healthcheck?.test, `${name} has a health check`).toBeDefined();
    }
    for (const api of ['api-1', 'api-2']) {
      expect(normalized.services[api]!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
      expect(normalized.services[api]!.healthcheck!.test.join(' ')).toContain('127.0.0.1:3080/readyz');
    }
    for (const host of ['host-1', 'host-2']) {
      expect(normalized.services[host]!.depends_on).toEqual({
        redis: { condition: 'service_healthy' },
        proxy: { condition: 'service_healthy' },
      });
      expect(normalized.services[host]!.healthcheck!.test.join(' ')).toContain('127.0.0.1:3081/readyz');
    }
    // No cycle: the hosts wait for the proxy, so the proxy must not wait for the hosts.
    expect(Object.keys(normalized.services.proxy!.depends_on ?? {}).sort()).toEqual(['api-1', 'api-2']);
    expect(noDependencyCycle(normalized.services)).toBe(true);
  });

  it('gives each accessbot container its config where --config points, read-only, and every secret it reads', () => {
    for (const name of ['accessbot', 'api-1', 'api-2', 'host-1', 'host-2']) {
      const service = normalized.services[name]!;
      const command = service.command!;
      const configPath = command[command.indexOf('--config') + 1]!;
      const mount = mountedAt(service, configPath);
      expect(mount, `${name} mounts ${configPath}`).toBeDefined();
      expect(mount!.readOnly).toBe(true);
      const given = (service.secrets ?? []).map((s) => s.source);
      for (const ref of secretRefs(mount!.source))
        expect(given, `${name} needs secret ${ref}`).toContain(ref);
      // Hardened: nothing writable but the volumes and /tmp, no capabilities.
      expect(service.read_only).toBe(true);
      expect(service.cap_drop).toEqual(['ALL']);
    }
    for (const secret of Object.values(normalized.secrets)) {
      expect(secret.file).toMatch(/^\/.*\/secrets\/[\w.-]+$/);
    }
  });

  it('publishes ports only on the proxy (ha) and the single box (serve)', () => {
    const published = Object.entries(normalized.services)
      .filter(([, s]) => (s.ports?.length ?? 0) > 0)
      .map(([name]) => name)
      .sort();
    expect(published).toEqual(['accessbot', 'proxy']);
  });
});

describe('the config files compose mounts', () => {
  let secretsDir: string;
  const secretValues: Record<string, string> = {
    'accessbot-redis-password': 'redis-secret-value',
    'accessbot-slack-bot-token': 'xoxb-test-token',
    'accessbot-slack-signing-secret': 'signing-secret-value',
    'accessbot-host-token': 'host-token-value',
    'accessbot-database-url': 'postgres://accessbot:pw@postgres:5432/accessbot',
  };

  beforeAll(() => {
    secretsDir = mkdtempSync(join(tmpdir(), 'accessbot-compose-'));
    for (const [name, value] of Object.entries(secretValues)) writeFileSync(join(secretsDir, name), value);
  });
  afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));

  /** The file with /run/secrets pointed at the temp folder (the container's path does not exist here). */
  function relocated(name: string): string {
    const text = readFileSync(join(root, 'deploy/config', name), 'utf8').replaceAll(
      '/run/secrets/',
      `${secretsDir}/`,
    );
    const dir = join(secretsDir, 'config');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  }

  it('serve: loads cleanly with the secrets read from their files', async () => {
    const loaded = await loadConfig({ file: relocated('accessbot-serve.yaml'), env: {} });
    expect(loaded.config.host.redis.password).toBe('redis-secret-value');
    expect(loaded.config.host.redis.url).toBe('redis://redis:6379');
    expect([...loaded.plugins.keys()]).toEqual(['slack']);
    expect(loaded.config.api.listen).toBe('0.0.0.0:3080');
  });

  it('ha host: loads cleanly, reading its API token and the Redis password from their files', async () => {
    const loaded = await loadConfig({ file: relocated('accessbot-host.yaml'), env: {} });
    expect(loaded.config.host.api.token).toBe('host-token-value');
    expect(loaded.config.host.api.url).toBe('http://proxy:3080');
    expect(loaded.config.host.redis.password).toBe('redis-secret-value');
    expect([...loaded.plugins.keys()]).toEqual(['slack']);
  });

  it('ha api: points the store at PostgreSQL through the database-url secret, and reads no other secret', () => {
    const file = relocated('accessbot-api.yaml');
    const raw = parse(readFileSync(file, 'utf8')) as Record<string, { store?: unknown }>;
    expect(raw.api!.store).toEqual({ driver: 'postgres', url: `file:${secretsDir}/accessbot-database-url` });
    expect(Object.keys(raw).sort()).toEqual(['api', 'log']);
  });
});
