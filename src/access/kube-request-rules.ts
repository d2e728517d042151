// allow.request.kubernetes_resources: once any of the requester's roles sets it, Kubernetes
// resource requests must fit one of the listed {kind, api_group} rules, and a whole
// kube_cluster can no longer be requested (it would bypass the restriction).

import { AccessbotError } from '../errors.js';
import { asInvalidRole, compileMatcher } from './matcher.js';
import type { ResourceId } from './resource-id.js';
import type { KubernetesResourceRule, Role } from './types.js';

export function kubeRequestRules(roles: readonly Role[]): KubernetesResourceRule[] | undefined {
  const configured = roles.filter((role) => role.spec.allow?.request?.kubernetes_resources !== undefined);
  if (configured.length === 0) return undefined;
  return configured.flatMap((role) => role.spec.allow?.request?.kubernetes_resources ?? []);
}

export function checkKubeRequestRules(
  raw: string,
  resource: ResourceId,
  rules: KubernetesResourceRule[],
): void {
  if (resource.kind === 'kube_cluster') {
    throw new AccessbotError(
      'RESOURCE_NOT_REQUESTABLE',
      `${raw}: requesting a whole Kubernetes cluster is not allowed; request specific Kubernetes resources ` +
        `(allowed kinds: ${describe(rules)})`,
      { resourceId: raw },
    );
  }
  const kube = resource.kube;
  if (!kube) return;
  let allowed: boolean;
  try {
    allowed = rules.some((rule) => ruleAllows(rule, kube.kind, kube.apiGroup));
  } catch (err) {
    throw asInvalidRole(err, 'allow.request.kubernetes_resources');
  }
  if (allowed) return;
  const shown = kube.apiGroup === '' ? kube.kind : `${kube.kind}.${kube.apiGroup}`;
  throw new AccessbotError(
    'RESOURCE_NOT_REQUESTABLE',
    `${raw}: Kubernetes kind "${shown}" may not be requested (allowed kinds: ${describe(rules)})`,
    { resourceId: raw },
  );
}

// A requested wildcard kind (`*`) is only covered by a rule that is itself `*`: the rule
// patterns are matched against the requested text, so `pods` never matches `*`.
function ruleAllows(rule: KubernetesResourceRule, kind: string, apiGroup: string): boolean {
  const group = rule.api_group ?? '';
  const kindOk = rule.kind === '*' || compileMatcher(rule.kind).match(kind);
  const groupOk = group === '*' || (group === '' ? apiGroup === '' : compileMatcher(group).match(apiGroup));
  return kindOk && groupOk;
}

function describe(rules: KubernetesResourceRule[]): string {
  if (rules.length === 0) return 'none';
  return rules.map((rule) => (rule.api_group ? `${rule.kind}.${rule.api_group}` : rule.kind)).join(', ');
}
