// Environment variables an operator can set instead of (or over) the config file, probot-style.
// Pure: the env is passed in, nothing is read from process.env here.

export interface EnvOverride {
  /** Path into the config object. */
  path: string[];
  value: unknown;
  /** Where it came from, for error messages (`REDIS_URL`). */
  variable: string;
}

export interface EnvOptions {
  /** ACCESSBOT_CONFIG: the config file to read. */
  configFile?: string;
  overrides: EnvOverride[];
}

/** Each variable and the config path it sets. Values are taken as strings, except where noted. */
export const ENV_MAPPING: ReadonlyArray<{ variable: string; path: string[]; kind?: 'number' }> = [
  { variable: 'ACCESSBOT_API_LISTEN', path: ['api', 'listen'] },
  { variable: 'ACCESSBOT_DATA_DIR', path: ['api', 'data_dir'] },
  { variable: 'ACCESSBOT_DB_PATH', path: ['api', 'store', 'path'] },
  // A PostgreSQL URL holds a password: an env var (or `file:`) keeps it out of the config file.
  { variable: 'ACCESSBOT_DATABASE_URL', path: ['api', 'store', 'url'] },
  { variable: 'ACCESSBOT_ROLES_FILE', path: ['api', 'roles_file'] },
  { variable: 'ACCESSBOT_HOST_LISTEN', path: ['host', 'listen'] },
  { variable: 'ACCESSBOT_PUBLIC_URL', path: ['host', 'public_url'] },
  { variable: 'ACCESSBOT_API_URL', path: ['host', 'api', 'url'] },
  { variable: 'ACCESSBOT_HOST_TOKEN', path: ['host', 'api', 'token'] },
  { variable: 'REDIS_URL', path: ['host', 'redis', 'url'] },
  { variable: 'ACCESSBOT_REDIS_PREFIX', path: ['host', 'redis', 'prefix'] },
  { variable: 'ACCESSBOT_DELIVERY_ATTEMPTS', path: ['host', 'delivery', 'attempts'], kind: 'number' },
  { variable: 'LOG_LEVEL', path: ['log', 'level'] },
];

/** Maps env vars to config overrides. Empty values count as unset. */
export function readEnvOptions(env: NodeJS.ProcessEnv): EnvOptions {
  const overrides: EnvOverride[] = [];
  for (const { variable, path, kind } of ENV_MAPPING) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    // A non-numeric value is passed through as a string so validation names the path.
    const value = kind === 'number' && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    overrides.push({ path, value, variable });
  }
  const configFile = env.ACCESSBOT_CONFIG || undefined;
  return configFile === undefined ? { overrides } : { configFile, overrides };
}

/** Sets each override on a plain object tree, creating intermediate objects. */
export function applyOverrides(tree: Record<string, unknown>, overrides: EnvOverride[]): void {
  for (const { path, value } of overrides) {
    let node = tree;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
}
