// What `startApiServer` would refuse, found without opening the database or writing anything, so
// `accessbot config check` vouches for what `serve` and `api` will accept. Both resolve the
// relative paths under `api:` the same way: against the working directory, once, here.

import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ApiConfig } from '../config/schema.js';
import { AccessbotError } from '../errors.js';
import { validateRoleDocuments } from './directory-service.js';

export interface ApiConfigProblem {
  /** Dotted config path, e.g. `api.roles_file`. */
  path: string;
  message: string;
}

/** `api:` with `store.path`, `data_dir` and `roles_file` made absolute against `cwd`. */
export function withAbsoluteApiPaths(api: ApiConfig, cwd: string): ApiConfig {
  const abs = (path: string) => (isAbsolute(path) ? path : resolve(cwd, path));
  return {
    ...api,
    store: api.store.driver === 'sqlite' ? { ...api.store, path: abs(api.store.path) } : api.store,
    data_dir: abs(api.data_dir),
    ...(api.roles_file === undefined ? {} : { roles_file: abs(api.roles_file) }),
  };
}

/** The roles file's role documents; an AccessbotError (CONFIG_INVALID or INVALID_ROLE) says why not. */
export function readRolesFile(path: string): ReturnType<typeof validateRoleDocuments> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new AccessbotError('CONFIG_INVALID', `cannot read api.roles_file ${path} (${code})`);
  }
  return validateRoleDocuments(text);
}

/** Why a folder could not be used (made when missing), or undefined when it can. */
function folderProblem(folder: string): string | undefined {
  let existing = folder;
  while (!existsSync(existing)) {
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  if (!statSync(existing).isDirectory()) return `${existing} is not a folder`;
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch {
    return existing === folder
      ? `${folder} is not writable`
      : `${folder} cannot be created: ${existing} is not writable`;
  }
  return undefined;
}

/** Every problem `startApiServer` would stop on, for paths already made absolute. */
export function apiConfigProblems(api: ApiConfig): ApiConfigProblem[] {
  const problems: ApiConfigProblem[] = [];
  const port = Number(api.listen.slice(api.listen.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port > 65535)
    problems.push({ path: 'api.listen', message: `bad port in ${api.listen} (0-65535)` });
  const dataDir = folderProblem(api.data_dir);
  if (dataDir) problems.push({ path: 'api.data_dir', message: dataDir });
  // A PostgreSQL store is checked by connecting, at start (a check here would need the network).
  if (api.store.driver === 'sqlite') {
    const db = api.store.path;
    if (existsSync(db) && !statSync(db).isFile())
      problems.push({ path: 'api.store.path', message: `${db} is not a file` });
    else {
      const folder = folderProblem(dirname(db));
      if (folder) problems.push({ path: 'api.store.path', message: folder });
    }
  }
  if (api.roles_file !== undefined) {
    try {
      readRolesFile(api.roles_file);
    } catch (err) {
      if (!(err instanceof AccessbotError)) throw err;
      problems.push({ path: 'api.roles_file', message: `${api.roles_file}: ${err.message}` });
    }
  }
  return problems;
}
