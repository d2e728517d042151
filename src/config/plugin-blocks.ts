// Validates each `plugins.<id>` block with the schema of the plugin that owns it. The host
// keys (`enabled`, `review_as`) are read by the host and stripped before the plugin sees the
// block, so plugin schemas can stay strict.

import type { PluginDefinition } from '../plugin-sdk/index.js';
import type { ConfigIssue } from './issues.js';
import { PLUGIN_HOST_KEYS, pluginHostKeysSchema } from './schema.js';
import { fromZodIssues } from './zod-issues.js';

export interface PluginBlocksResult {
  /** Enabled plugins only, each with its parsed (defaulted) config. */
  pluginConfigs: Map<string, unknown>;
  issues: ConfigIssue[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function validatePluginBlocks(
  rawPlugins: unknown,
  definitions: ReadonlyMap<string, PluginDefinition>,
): PluginBlocksResult {
  const pluginConfigs = new Map<string, unknown>();
  const issues: ConfigIssue[] = [];
  // Shape errors of `plugins` itself are reported by the main schema.
  if (!isRecord(rawPlugins)) return { pluginConfigs, issues };

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

    const parsed = definition.configSchema.safeParse(pluginPart);
    if (parsed.success) pluginConfigs.set(id, parsed.data);
    else issues.push(...fromZodIssues(parsed.error.issues, ['plugins', id]));
  }
  return { pluginConfigs, issues };
}
