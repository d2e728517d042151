// First-start setup: built-in roles, the `admin` user and its token file, and the
// service identity the plugin host uses when it runs in the same process.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Role, User } from '../access/types.js';
import { AccessbotError } from '../errors.js';
import { ensurePrivateFile, ensurePrivateFolder, writePrivateFile } from '../private-files.js';
import type { Store } from '../store/types.js';
import { generateToken, hashToken, mintToken } from './tokens.js';

export const ADMIN_ROLE = 'accessbot-admin';
export const PLUGIN_ROLE = 'accessbot-plugin';
export const ADMIN_USER = 'admin';
export const HOST_USER = 'accessbot-host';
const SERVICE_TOKEN_DESCRIPTION = 'service token minted at start';

export const BUILTIN_ROLES: Role[] = [
  {
    kind: 'role',
    version: 'v7',
    metadata: { name: ADMIN_ROLE, description: 'Full control of accessbot; reviews any request' },
    spec: {
      allow: {
        rules: [{ resources: ['*'], verbs: ['*'] }],
        review_requests: { roles: ['*'] },
      },
    },
  },
  {
    kind: 'role',
    version: 'v7',
    metadata: {
      name: PLUGIN_ROLE,
      description: 'Plugin host: follows requests, looks up users, reviews on their behalf',
    },
    spec: {
      allow: {
        rules: [
          { resources: ['access_request'], verbs: ['list', 'read', 'review_as'] },
          { resources: ['user'], verbs: ['list', 'read'] },
          // So /readyz can tell whether each plugin's review_as user may review.
          { resources: ['role'], verbs: ['list', 'read'] },
        ],
      },
    },
  },
];

/**
 * Creates any missing built-in role (an operator's edits to an existing one are kept) and,
 * while no user exists, the `admin` user with a token in `<dataDir>/admin.token` (0600).
 *
 * The token file is written (and flushed) before the user and its token are committed, in one
 * transaction: a start that fails on the way (unwritable folder, full disk, a crash) leaves no
 * user behind, so the next start is a first start again and writes a token that works.
 */
export async function bootstrap(
  store: Store,
  opts: { dataDir: string; now: Date; log: Logger },
): Promise<string> {
  const tokenFile = join(opts.dataDir, 'admin.token');
  ensurePrivateFolder(opts.dataDir, 'api.data_dir');
  const missing: Role[] = [];
  for (const role of BUILTIN_ROLES) if (!(await store.getRole(role.metadata.name))) missing.push(role);
  if (missing.length > 0) await store.putRoles(missing);
  if (await store.hasUsers()) {
    // A token file left from an older version may be readable by others: narrow it.
    if (existsSync(tokenFile)) ensurePrivateFile(tokenFile, 'api.data_dir');
    return tokenFile;
  }

  const admin: User = {
    name: ADMIN_USER,
    roles: [ADMIN_ROLE],
    traits: {},
    createdAt: opts.now.toISOString(),
  };
  const token = generateToken();
  writePrivateFile(tokenFile, `${token}\n`, 'api.data_dir');
  const created = await store.createFirstUser(admin, {
    hash: hashToken(token),
    user: ADMIN_USER,
    created: opts.now.toISOString(),
    description: 'bootstrap admin token',
  });
  if (!created) {
    // Another API replica bootstrapped the same database meanwhile: its token is the one.
    if (readFileSync(tokenFile, 'utf8').trim() === token) rmSync(tokenFile, { force: true });
    return tokenFile;
  }
  opts.log.info({ tokenFile }, 'first start: created user admin; its token is in the token file');
  return tokenFile;
}

/**
 * Ensures `userName` exists with at least `roles`, and mints a fresh token for it,
 * replacing the one minted at the previous start. Used by `accessbot serve` for the host.
 */
export async function ensureServiceToken(store: Store, userName: string, roles: string[]): Promise<string> {
  const unknown: string[] = [];
  for (const role of roles) if (!(await store.getRole(role))) unknown.push(role);
  if (unknown.length > 0) {
    throw new AccessbotError('UNKNOWN_ROLE', `unknown role(s): ${unknown.join(', ')}`, { roles: unknown });
  }
  const now = new Date();
  const existing = await store.getUser(userName);
  const user: User = existing
    ? { ...existing, roles: [...new Set([...existing.roles, ...roles])] }
    : { name: userName, roles: [...new Set(roles)], traits: {}, createdAt: now.toISOString() };
  await store.putUser(user);
  await store.deleteTokens(userName, SERVICE_TOKEN_DESCRIPTION);
  const { token } = await mintToken(store, userName, { now, description: SERVICE_TOKEN_DESCRIPTION });
  return token;
}
