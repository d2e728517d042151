// First-start setup: built-in roles, the `admin` user and its token file, and the
// service identity the plugin host uses when it runs in the same process.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Role, User } from '../access/types.js';
import { AccessbotError } from '../errors.js';
import type { Store } from '../store/types.js';
import { mintToken } from './tokens.js';

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
        ],
      },
    },
  },
];

/**
 * Creates any missing built-in role (an operator's edits to an existing one are kept) and,
 * on an empty database, the `admin` user with a token in `<dataDir>/admin.token` (0600).
 */
export async function bootstrap(
  store: Store,
  opts: { dataDir: string; now: Date; log: Logger },
): Promise<string> {
  const tokenFile = join(opts.dataDir, 'admin.token');
  const firstStart = await store.isEmpty();
  const missing: Role[] = [];
  for (const role of BUILTIN_ROLES) if (!(await store.getRole(role.metadata.name))) missing.push(role);
  if (missing.length > 0) await store.putRoles(missing);
  if (!firstStart) return tokenFile;

  const admin: User = {
    name: ADMIN_USER,
    roles: [ADMIN_ROLE],
    traits: {},
    createdAt: opts.now.toISOString(),
  };
  await store.putUser(admin);
  const { token } = await mintToken(store, ADMIN_USER, {
    now: opts.now,
    description: 'bootstrap admin token',
  });
  mkdirSync(opts.dataDir, { recursive: true });
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
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
