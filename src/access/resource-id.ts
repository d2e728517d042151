// Resource IDs, as `tsh request search` prints them:
//   /CLUSTER/{node|db|app|windows_desktop|kube_cluster}/NAME
//   /CLUSTER/kube:ns:KIND[.GROUP]/KUBE_CLUSTER/NAMESPACE/NAME
//   /CLUSTER/kube:cw:KIND[.GROUP]/KUBE_CLUSTER/NAME
// KIND may be `*`; GROUP, NAMESPACE and NAME may be `*`, a glob, or an anchored regex `^…$`.
// Like Teleport, `kind`/`name` of a Kubernetes ID are the kind segment and the kube cluster,
// and `subResource` is what lies inside the cluster.

import { AccessbotError } from '../errors.js';

export type KubeScope = 'ns' | 'cw';

export interface KubeResourceRef {
  scope: KubeScope;
  /** Plural kind (`pods`, `deployments`) or `*`. */
  kind: string;
  /** API group; '' is the core group. */
  apiGroup: string;
  kubeCluster: string;
  namespace?: string;
  name: string;
}

export interface ResourceId {
  cluster: string;
  /** `node`, `db`, …, or the whole Kubernetes kind segment (`kube:ns:deployments.apps`). */
  kind: string;
  /** Resource name; for Kubernetes resources the kube cluster. */
  name: string;
  /** Kubernetes only: `NAMESPACE/NAME` or `NAME`. */
  subResource?: string;
  kube?: KubeResourceRef;
}

export const SIMPLE_RESOURCE_KINDS = ['node', 'db', 'app', 'windows_desktop', 'kube_cluster'] as const;

const EXPECTED =
  'expected /CLUSTER/KIND/NAME with KIND one of node, db, app, windows_desktop, kube_cluster, ' +
  'or /CLUSTER/kube:ns:KIND[.GROUP]/KUBE_CLUSTER/NAMESPACE/NAME, or /CLUSTER/kube:cw:KIND[.GROUP]/KUBE_CLUSTER/NAME';

const KUBE_KIND = /^(?:\*|[a-z0-9][a-z0-9-]*)$/;

export function parseResourceId(id: string): ResourceId {
  if (typeof id !== 'string' || !id.startsWith('/')) throw invalid(id, 'it must start with "/"');
  const segments = id.slice(1).split('/');
  if (segments.some((segment) => segment === '')) throw invalid(id, 'it has an empty segment');
  const [cluster, kind, ...rest] = segments;
  if (cluster === undefined || kind === undefined) throw invalid(id, 'it has too few segments');

  if ((SIMPLE_RESOURCE_KINDS as readonly string[]).includes(kind)) {
    if (rest.length !== 1) throw invalid(id, `a ${kind} ID has exactly 3 segments`);
    return { cluster, kind, name: rest[0]! };
  }

  const kube = /^kube:(ns|cw):(.+)$/.exec(kind);
  if (!kube) throw invalid(id, `unknown kind "${kind}"`);
  const scope = kube[1] as KubeScope;
  const { kubeKind, apiGroup } = splitKindAndGroup(id, kube[2]!);
  const expectedRest = scope === 'ns' ? 3 : 2;
  if (rest.length !== expectedRest) {
    const form = scope === 'ns' ? 'KUBE_CLUSTER/NAMESPACE/NAME' : 'KUBE_CLUSTER/NAME';
    throw invalid(id, `a kube:${scope} ID needs ${form} after the kind`);
  }
  const kubeCluster = rest[0]!;
  const namespace = scope === 'ns' ? rest[1]! : undefined;
  const name = rest[rest.length - 1]!;
  if (namespace !== undefined) checkPattern(id, 'namespace', namespace);
  checkPattern(id, 'name', name);
  return {
    cluster,
    kind,
    name: kubeCluster,
    subResource: namespace === undefined ? name : `${namespace}/${name}`,
    kube: {
      scope,
      kind: kubeKind,
      apiGroup,
      kubeCluster,
      ...(namespace === undefined ? {} : { namespace }),
      name,
    },
  };
}

export function formatResourceId(resource: ResourceId): string {
  const base = `/${resource.cluster}/${resource.kind}/${resource.name}`;
  return resource.subResource === undefined ? base : `${base}/${resource.subResource}`;
}

function splitKindAndGroup(id: string, text: string): { kubeKind: string; apiGroup: string } {
  const dot = text.indexOf('.');
  const kubeKind = dot === -1 ? text : text.slice(0, dot);
  const apiGroup = dot === -1 ? '' : text.slice(dot + 1);
  if (!KUBE_KIND.test(kubeKind)) throw invalid(id, `bad Kubernetes kind "${kubeKind}" (a plural kind or *)`);
  if (dot !== -1) {
    if (apiGroup === '') throw invalid(id, 'empty API group after "."');
    checkPattern(id, 'API group', apiGroup);
  }
  return { kubeKind, apiGroup };
}

function checkPattern(id: string, what: string, value: string): void {
  if (value.startsWith('^') && value.endsWith('$')) {
    try {
      new RegExp(value, 'u');
    } catch (err) {
      throw invalid(id, `the ${what} regex ${value} does not compile: ${(err as Error).message}`);
    }
  }
}

function invalid(id: unknown, why: string): AccessbotError {
  const shown = typeof id === 'string' ? id : String(id);
  return new AccessbotError('INVALID_RESOURCE_ID', `invalid resource ID "${shown}": ${why}; ${EXPECTED}`, {
    resourceId: shown,
    expected: EXPECTED,
  });
}
