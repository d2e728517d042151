// Discovers plugins by folder: every `plugins/<id>/index.{js,ts}` that default-exports a
// PluginDefinition. The host never names a plugin; adding one is adding a folder.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AccessbotError } from '../errors.js';
import type { PluginDefinition } from '../plugin-sdk/index.js';

/** plugins/ beside src/ — in the source tree and in dist/ alike. */
export const DEFAULT_PLUGINS_DIR = fileURLToPath(new URL('../../plugins/', import.meta.url));

function entryOf(dir: string): string | undefined {
  for (const name of ['index.js', 'index.ts']) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

function isDefinition(value: unknown): value is PluginDefinition {
  const v = value as Partial<PluginDefinition> | undefined;
  return !!v && typeof v.id === 'string' && typeof v.create === 'function' && !!v.configSchema;
}

/**
 * `only`: load just these folders (the plugins a host is configured with). Importing a plugin
 * loads its platform SDK, and the unused ones cost a host ~40 MB of memory.
 */
export async function loadPluginDefinitions(
  dir = DEFAULT_PLUGINS_DIR,
  only?: Iterable<string>,
): Promise<Map<string, PluginDefinition>> {
  const found = new Map<string, PluginDefinition>();
  if (!existsSync(dir)) return found;
  const wanted = only ? new Set(only) : undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    if (wanted && !wanted.has(entry.name)) continue;
    const file = entryOf(join(dir, entry.name));
    if (!file) continue;
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    if (!isDefinition(mod.default)) {
      throw new AccessbotError(
        'PLUGIN_NOT_FOUND',
        `plugins/${entry.name} does not default-export a plugin definition`,
      );
    }
    if (mod.default.id !== entry.name) {
      throw new AccessbotError(
        'PLUGIN_NOT_FOUND',
        `plugins/${entry.name} declares id "${mod.default.id}"; the id must equal the folder name`,
      );
    }
    found.set(entry.name, mod.default);
  }
  return found;
}
