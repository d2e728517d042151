// Loads the configuration: env overrides (readEnvOptions), the YAML file, `${ENV}` and
// `file:` secrets, then the main schema and every enabled plugin's schema. Every problem found
// on the way is collected into one ConfigError, so nothing is reported one restart at a time.

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PluginDefinition } from '../plugin-sdk/index.js';
import { applyOverrides, readEnvOptions } from './env.js';
import { ConfigError, type ConfigIssue } from './issues.js';
import { type ConfiguredPlugin, validatePluginBlocks } from './plugin-blocks.js';
import { loadPluginDefinitions } from './plugin-discovery.js';
import { type Config, configSchema } from './schema.js';
import { interpolateEnv, resolveFileRefs, type SecretResolution, scrubSecrets } from './secrets.js';
import { readConfigYaml } from './yaml-source.js';
import { fromZodIssues } from './zod-issues.js';

export const DEFAULT_CONFIG_FILES = ['accessbot.yaml', 'accessbot.yml'];

export interface LoadConfigOptions {
  /** Config file; overrides ACCESSBOT_CONFIG. Without either, ./accessbot.yaml when present. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Plugin definitions to validate against (default: discovered from plugins/). */
  plugins?: ReadonlyMap<string, PluginDefinition>;
  /** Where to discover plugins when `plugins` is not given. */
  pluginsDir?: string;
  /** false: skip plugin blocks entirely (client commands that only need api.*); default true. */
  validatePlugins?: boolean;
}

export interface LoadedConfig {
  config: Config;
  /** Every enabled plugin with its parsed settings, by id: what the host runs, as it is. */
  plugins: Map<string, ConfiguredPlugin>;
  /** Parsed settings of every enabled plugin, by id (the same as `plugins`' settings). */
  pluginConfigs: Map<string, unknown>;
  /** Absolute path of the file read, when there was one. */
  source?: string;
}

function pickConfigFile(
  opts: LoadConfigOptions,
  cwd: string,
  envFile?: string,
): { file?: string; explicit: boolean } {
  const named = opts.file ?? envFile;
  if (named) return { file: resolve(cwd, named), explicit: true };
  for (const name of DEFAULT_CONFIG_FILES) {
    const candidate = resolve(cwd, name);
    if (existsSync(candidate)) return { file: candidate, explicit: false };
  }
  return { explicit: false };
}

function detachPlugins(tree: Record<string, unknown>, all: boolean): Map<string, unknown> {
  const detached = new Map<string, unknown>();
  const plugins = tree.plugins;
  if (!plugins || typeof plugins !== 'object' || Array.isArray(plugins)) return detached;
  for (const [id, block] of Object.entries(plugins as Record<string, unknown>)) {
    const disabled =
      !!block && typeof block === 'object' && (block as { enabled?: unknown }).enabled === false;
    if (all || disabled) {
      detached.set(id, block);
      delete (plugins as Record<string, unknown>)[id];
    }
  }
  return detached;
}

function reattachPlugins(tree: Record<string, unknown>, blocks: Map<string, unknown>): void {
  if (blocks.size === 0) return;
  const plugins = tree.plugins as Record<string, unknown>;
  for (const [id, block] of blocks) plugins[id] = block;
}

export async function loadConfig(opts: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const envOptions = readEnvOptions(env);
  const { file } = pickConfigFile(opts, cwd, envOptions.configFile);

  const issues: ConfigIssue[] = [];
  const secrets: SecretResolution = { issues, secrets: new Set() };

  let tree: Record<string, unknown> = {};
  if (file) {
    const source = readConfigYaml(file);
    issues.push(...source.issues);
    tree = source.tree;
  }
  // A disabled plugin block is kept as written: its secrets need not exist until it is enabled.
  // Without plugin validation, no plugin block is resolved at all.
  const disabled = detachPlugins(tree, opts.validatePlugins === false);
  interpolateEnv(tree, env, secrets);
  applyOverrides(tree, envOptions.overrides);
  resolveFileRefs(tree, file ? dirname(file) : cwd, secrets);
  reattachPlugins(tree, disabled);

  // A value that could not be resolved would also fail its schema; one line per path is enough.
  const unresolved = new Set(issues.map((i) => i.path));
  const addSchemaIssues = (found: ConfigIssue[]) =>
    issues.push(...found.filter((i) => !unresolved.has(i.path)));

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) addSchemaIssues(fromZodIssues(parsed.error.issues));

  const blocks =
    opts.validatePlugins === false
      ? { plugins: new Map<string, ConfiguredPlugin>(), issues: [] }
      : validatePluginBlocks(tree.plugins, opts.plugins ?? (await loadPluginDefinitions(opts.pluginsDir)));
  addSchemaIssues(blocks.issues);

  if (issues.length > 0 || !parsed.success) {
    const clean = issues.map((i) => ({ path: i.path, message: scrubSecrets(i.message, secrets.secrets) }));
    throw new ConfigError(clean, file);
  }
  const pluginConfigs = new Map([...blocks.plugins].map(([id, plugin]) => [id, plugin.settings]));
  const loaded = { config: parsed.data, plugins: blocks.plugins, pluginConfigs };
  return file ? { ...loaded, source: file } : loaded;
}
