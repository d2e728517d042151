// Decides who hears about a request, per plugin, from config alone: routing rules (role globs,
// `*` only when nothing else matched), the request's `accessbot/notify-<plugin-id>` annotation,
// the plugin's own defaults, and — for plugins that reach people directly — the suggested
// reviewers and the requester (who is told of the outcome). Never branches on a plugin's name.

import picomatch from 'picomatch';
import type { AccessRequest } from '../../access/types.js';
import type { RouteRule } from '../../config/schema.js';
import type { Card, PluginCapabilities, Target } from '../../plugin-sdk/index.js';

export interface RawRecipient {
  raw: string;
  audience: Target['audience'];
}

export interface RoutablePlugin {
  id: string;
  capabilities: Pick<PluginCapabilities, 'directMessages'>;
  defaultRecipients?: (card: Card) => string[];
}

/** Annotation a requester's role can set to add recipients for one plugin. */
export const notifyAnnotation = (pluginId: string) => `accessbot/notify-${pluginId}`;

/** Recipients from the config rules for one plugin: specific rules win over `*`. */
export function recipientsFromRules(rules: RouteRule[], roles: string[], pluginId: string): string[] {
  const specific = rules.filter((r) => !r.roles.includes('*'));
  const fallback = rules.filter((r) => r.roles.includes('*'));
  const matches = (rule: RouteRule) =>
    rule.roles.some((glob) => roles.some((role) => picomatch.isMatch(role, glob)));
  const matched = specific.filter(matches);
  const chosen = matched.length > 0 ? matched : fallback;
  return chosen.flatMap((r) => r.targets[pluginId] ?? []);
}

export async function routeRequest(
  request: AccessRequest,
  card: Card,
  plugin: RoutablePlugin,
  rules: RouteRule[],
  emailOf: (userName: string) => Promise<string | undefined>,
): Promise<RawRecipient[]> {
  const out: RawRecipient[] = [];
  const seen = new Set<string>();
  const add = (raw: string, audience: Target['audience']) => {
    const key = `${audience}\u0000${raw}`;
    if (raw.trim() === '' || seen.has(key)) return;
    seen.add(key);
    out.push({ raw, audience });
  };
  for (const raw of recipientsFromRules(rules, request.roles, plugin.id)) add(raw, 'reviewer');
  for (const raw of request.annotations[notifyAnnotation(plugin.id)] ?? []) add(raw, 'reviewer');
  for (const raw of plugin.defaultRecipients?.(card) ?? []) add(raw, 'reviewer');
  if (plugin.capabilities.directMessages) {
    for (const name of request.suggestedReviewers) {
      if (name === request.user) continue;
      const email = await emailOf(name);
      if (email) add(email, 'reviewer');
    }
    const own = await emailOf(request.user);
    if (own) add(own, 'requester');
  }
  return out;
}
