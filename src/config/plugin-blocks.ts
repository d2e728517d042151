// Validates each `plugins.<id>` block with the schema of the plugin that owns it, once, here:
// the host receives the result (ConfiguredPlugin) and validates nothing again. The host keys
// (`enabled`, `review_as`, and `auto_approval` for plugins that offer on-call) are read here
// and stripped before the plugin's schema sees the block, so plugin schemas can stay strict.

import type { PluginDefinition } from '../plugin-sdk/index.js';
import { ConfigError, type ConfigIssue } from './issues.js';
import { loadPluginDefinitions } from './plugin-discovery.js';
import { type OnCallPolicy, onCallPolicySchema, PLUGIN_HOST_KEYS, pluginHostKeysSchema } from './schema.js';
import { fromZodIssues } from './zod-issues.js';

/** An enabled plugin with its parsed (defaulted) settings: what the host runs. */
export interface ConfiguredPlugin {
  id: string;
  definition: PluginDefinition;
  /** The block minus the host keys, as the plugin's schema parsed it. */
  settings: unknown;
  /** Access user that the plugin's automatic reviews are authored as. */
  reviewAs: string;
  /** The on-call policy (`auto_approval`, defaulted), for plugins whose definition says traits.onCall. */
  onCall?: OnCallPolicy;
}

export interface PluginBlocksResult {
  /** Enabled plugins only. */
  plugins: Map<string, ConfiguredPlugin>;
  issues: ConfigIssue[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function validatePluginBlocks(
  rawPlugins: unknown,
  definitions: ReadonlyMap<string, PluginDefinition>,
): PluginBlocksResult {
  const plugins = new Map<string, ConfiguredPlugin>();
  const issues: ConfigIssue[] = [];
  // Shape errors of `plugins` itself are reported by the main schema.
  if (!isRecord(rawPlugins)) return { plugins, issues };

  const known = [...definitions.keys()].sort();
  for (const [id, block] of Object.entries(rawPlugins)) {
    const definition = definitions.get(id);
    if (!definition) {
      const list = known.length > 0 ? `installed: ${known.join(', ')}` : 'no plugins are installed';
      issues.push({ path: `plugins.${id}`, message: `unknown plugin "${id}" (${list})` });
      continue;
    }
    if (!isRecord(block)) continue;

    const hostPart: Record<string, unknown> = {};
    const pluginPart: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(block)) {
      if ((PLUGIN_HOST_KEYS as readonly string[]).includes(key)) hostPart[key] = value;
      else pluginPart[key] = value;
    }
    const host = pluginHostKeysSchema.safeParse(hostPart);
    if (!host.success) issues.push(...fromZodIssues(host.error.issues, ['plugins', id]));
    if (host.success && !host.data.enabled) continue;
    const offersOnCall = definition.traits?.onCall === true;
    if (hostPart.auto_approval !== undefined && !offersOnCall)
      issues.push({
        path: `plugins.${id}.auto_approval`,
        message: `plugin "${id}" offers no on-call auto-approval: remove auto_approval from its block`,
      });

    const parsed = definition.configSchema.safeParse(pluginPart);
    if (!parsed.success) {
      issues.push(...fromZodIssues(parsed.error.issues, ['plugins', id]));
      continue;
    }
    if (host.success)
      plugins.set(id, {
        id,
        definition,
        settings: parsed.data,
        reviewAs: host.data.review_as ?? `accessbot-${id}`,
        ...(offersOnCall ? { onCall: host.data.auto_approval ?? onCallPolicySchema.parse({}) } : {}),
      });
  }
  return { plugins, issues };
}

/**
 * The enabled plugins of already-parsed `plugins:` blocks, for callers that build a Config in
 * code rather than loading a file. Discovers only the configured folders unless `definitions`
 * is given; throws one ConfigError naming every problem.
 */
export async function configurePlugins(
  rawPlugins: Record<string, unknown>,
  definitions?: ReadonlyMap<string, PluginDefinition>,
): Promise<Map<string, ConfiguredPlugin>> {
  const found = definitions ?? (await loadPluginDefinitions(undefined, Object.keys(rawPlugins)));
  const { plugins, issues } = validatePluginBlocks(rawPlugins, found);
  if (issues.length > 0) throw new ConfigError(issues);
  return plugins;
}
