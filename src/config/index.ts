// Configuration: the schema, the loader and its one-report-of-every-error ConfigError.
export { applyOverrides, ENV_MAPPING, type EnvOptions, type EnvOverride, readEnvOptions } from './env.js';
export { ConfigError, type ConfigIssue } from './issues.js';
export { DEFAULT_CONFIG_FILES, type LoadConfigOptions, type LoadedConfig, loadConfig } from './load.js';
export { type ConfiguredPlugin, configurePlugins } from './plugin-blocks.js';
export * from './schema.js';
