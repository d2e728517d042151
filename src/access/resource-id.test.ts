import { describe, expect, it } from 'vitest';
import { expectCode } from '../../test/access/expect-code.js';
import { formatResourceId, parseResourceId } from './resource-id.js';

describe('parseResourceId', () => {
  it.each([
    [
      'node',
      '/teleport.example.com/node/bbb56211-7b54-4f9e-bee9-b68ea156be5f',
      'bbb56211-7b54-4f9e-bee9-b68ea156be5f',
    ],
    ['db', '/teleport.example.com/db/postgres-prod', 'postgres-prod'],
    ['app', '/teleport.example.com/app/grafana', 'grafana'],
    ['windows_desktop', '/teleport.example.com/windows_desktop/win-01', 'win-01'],
    ['kube_cluster', '/teleport.example.com/kube_cluster/mycluster', 'mycluster'],
  ])('reads a %s ID', (kind, id, name) => {
    expect(parseResourceId(id)).toEqual({ cluster: 'teleport.example.com', kind, name });
  });

  it('reads a namespaced pod in the core group', () => {
    expect(parseResourceId('/teleport.example.com/kube:ns:pods/mycluster/dev/nginx-1')).toEqual({
      cluster: 'teleport.example.com',
      kind: 'kube:ns:pods',
      name: 'mycluster',
      subResource: 'dev/nginx-1',
      kube: {
        scope: 'ns',
        kind: 'pods',
        apiGroup: '',
        kubeCluster: 'mycluster',
        namespace: 'dev',
        name: 'nginx-1',
      },
    });
  });

  it('reads a deployment in the apps group', () => {
    const id = parseResourceId('/teleport.example.com/kube:ns:deployments.apps/mycluster/prod/website');
    expect(id.kube).toEqual({
      scope: 'ns',
      kind: 'deployments',
      apiGroup: 'apps',
      kubeCluster: 'mycluster',
      namespace: 'prod',
      name: 'website',
    });
  });

  it('reads wildcards and regexes in namespace and name', () => {
    const id = parseResourceId('/teleport.example.com/kube:ns:pods/mycluster/*/^nginx-[a-z0-9-]+$');
    expect(id.kube?.namespace).toBe('*');
    expect(id.kube?.name).toBe('^nginx-[a-z0-9-]+$');
  });

  it('reads cluster-wide forms, including *.*', () => {
    expect(parseResourceId('/teleport.example.com/kube:cw:namespaces/mycluster/prod').kube).toEqual({
      scope: 'cw',
      kind: 'namespaces',
      apiGroup: '',
      kubeCluster: 'mycluster',
      name: 'prod',
    });
    expect(parseResourceId('/teleport.example.com/kube:cw:*.*/mycluster/*').kube).toMatchObject({
      kind: '*',
      apiGroup: '*',
      name: '*',
    });
    expect(parseResourceId('/teleport.example.com/kube:ns:*.*/mycluster/prod/*').kube).toMatchObject({
      kind: '*',
      apiGroup: '*',
      namespace: 'prod',
      name: '*',
    });
  });

  it('round-trips through formatResourceId', () => {
    for (const id of [
      '/c/node/n1',
      '/c/kube:ns:deployments.apps/k/prod/website',
      '/c/kube:cw:namespaces/k/^dev-[a-z0-9-]+$',
    ]) {
      expect(formatResourceId(parseResourceId(id))).toBe(id);
    }
  });

  it.each([
    ['no leading slash', 'teleport.example.com/node/x'],
    ['unknown kind', '/teleport.example.com/server/x'],
    ['too few segments', '/teleport.example.com/node'],
    ['too many segments', '/teleport.example.com/node/x/y'],
    ['empty segment', '/teleport.example.com//x'],
    ['trailing slash', '/teleport.example.com/node/x/'],
    ['ns form without namespace', '/teleport.example.com/kube:ns:pods/mycluster/nginx-1'],
    ['cw form with namespace', '/teleport.example.com/kube:cw:namespaces/mycluster/dev/prod'],
    ['bad kube scope', '/teleport.example.com/kube:xx:pods/mycluster/dev/nginx'],
    ['empty kube kind', '/teleport.example.com/kube:ns:/mycluster/dev/nginx'],
    ['empty api group', '/teleport.example.com/kube:ns:pods./mycluster/dev/nginx'],
    ['bad regex name', '/teleport.example.com/kube:ns:pods/mycluster/dev/^nginx-[$'],
    ['empty', ''],
  ])('refuses %s', (_what, id) => {
    const err = expectCode(() => parseResourceId(id), 'INVALID_RESOURCE_ID');
    expect(err.message).toContain(JSON.stringify(id));
    expect(err.message).toContain('expected /CLUSTER/KIND/NAME');
  });
});
