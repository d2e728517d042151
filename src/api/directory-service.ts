// Users, roles and tokens: the directory the access model decides over.

import {
  type AccessContext,
  formatDuration,
  parseDuration,
  parseRolesYaml,
  reasonRequirement,
  requestableRoles,
  validateRole,
} from '../access/index.js';
import type { Role, User } from '../access/types.js';
import type { IssuedToken, UserInput, WhoAmI } from '../client/types.js';
import { AccessbotError } from '../errors.js';
import type { Store } from '../store/types.js';
import { loadAccessContext, requirePermission, type ServiceSettings } from './access-context.js';
import { MAX_TOKEN_TTL_MS, mintToken } from './tokens.js';

/** A page of a list ordered by name. */
export interface NamePage {
  /** The last name of the previous page; '' for the first page. */
  after: string;
  limit: number;
}

export class DirectoryService {
  constructor(
    private readonly store: Store,
    private readonly settings: ServiceSettings,
  ) {}

  private context(): Promise<AccessContext> {
    return loadAccessContext(this.store, this.settings);
  }

  async whoami(caller: User): Promise<WhoAmI> {
    const ctx = await this.context();
    const reason = reasonRequirement(caller, ctx);
    return {
      user: caller,
      requestableRoles: requestableRoles(caller, ctx),
      reasonRequired: reason.required,
      ...(reason.prompt ? { requestPrompt: reason.prompt } : {}),
    };
  }

  /** Up to `limit` users after the name `after` ('' from the start), by name; `more` when others follow. */
  async listUsersPage(caller: User, page: NamePage): Promise<{ users: User[]; more: boolean }> {
    requirePermission(caller, 'user', ['list'], await this.context());
    // One more than asked tells whether another page follows, so the last page carries no cursor.
    const users = await this.store.listUsersPage(page.after, page.limit + 1);
    return { users: users.slice(0, page.limit), more: users.length > page.limit };
  }

  async getUser(caller: User, name: string): Promise<User> {
    if (name !== caller.name) requirePermission(caller, 'user', ['read', 'list'], await this.context());
    const user = await this.store.getUser(name);
    if (!user) throw new AccessbotError('USER_NOT_FOUND', `no user ${name}`);
    return user;
  }

  /** Finds the user behind a platform identity. Ambiguous trait matches are refused, not guessed. */
  async lookupUser(caller: User, query: { email: string } | { trait: string; value: string }): Promise<User> {
    requirePermission(caller, 'user', ['read', 'list'], await this.context());
    if ('email' in query) {
      const user = await this.store.findUserByEmail(query.email);
      if (!user) throw new AccessbotError('USER_NOT_FOUND', 'no user with that email');
      return user;
    }
    const users = await this.store.findUsersByTrait(query.trait, query.value);
    if (users.length === 0) throw new AccessbotError('USER_NOT_FOUND', `no user with trait ${query.trait}`);
    if (users.length > 1) {
      throw new AccessbotError('CONFLICT', `several users carry that ${query.trait} value`, {
        users: users.map((u) => u.name),
      });
    }
    return users[0] as User;
  }

  async upsertUser(caller: User, input: UserInput): Promise<User> {
    const ctx = await this.context();
    const existing = await this.store.getUser(input.name);
    requirePermission(caller, 'user', [existing ? 'update' : 'create'], ctx);
    const unknown = input.roles.filter((r) => !ctx.roles.has(r));
    if (unknown.length > 0) {
      throw new AccessbotError('UNKNOWN_ROLE', `unknown role(s): ${unknown.join(', ')}`, { roles: unknown });
    }
    if (input.email) {
      const owner = await this.store.findUserByEmail(input.email);
      if (owner && owner.name !== input.name) {
        throw new AccessbotError('CONFLICT', `email already belongs to user ${owner.name}`);
      }
    }
    const user: User = {
      name: input.name,
      roles: [...new Set(input.roles)],
      traits: input.traits ?? {},
      createdAt: existing?.createdAt ?? this.settings.now().toISOString(),
      ...(input.email ? { email: input.email } : {}),
    };
    await this.store.putUser(user);
    return user;
  }

  async deleteUser(caller: User, name: string): Promise<void> {
    requirePermission(caller, 'user', ['delete'], await this.context());
    if (name === caller.name) throw new AccessbotError('FORBIDDEN', 'you cannot delete your own user');
    if (!(await this.store.deleteUser(name))) throw new AccessbotError('USER_NOT_FOUND', `no user ${name}`);
  }

  async issueToken(
    caller: User,
    name: string,
    opts: { ttl?: string | undefined; description?: string | undefined },
  ): Promise<IssuedToken> {
    requirePermission(caller, 'token', ['create'], await this.context());
    if (!(await this.store.getUser(name))) throw new AccessbotError('USER_NOT_FOUND', `no user ${name}`);
    const ttlMs = opts.ttl === undefined ? undefined : checkTokenTtl(opts.ttl);
    const minted = await mintToken(this.store, name, {
      now: this.settings.now(),
      ...(ttlMs === undefined ? {} : { ttlMs }),
      ...(opts.description ? { description: opts.description } : {}),
    });
    return { user: name, ...minted };
  }

  /**
   * Up to `limit` roles after the name `after`, by name. Every call loads all roles anyway (they
   * decide every permission) and the store keeps them parsed, so the page is cut from that list.
   */
  async listRolesPage(caller: User, page: NamePage): Promise<{ roles: Role[]; more: boolean }> {
    const ctx = await this.context();
    requirePermission(caller, 'role', ['list', 'read'], ctx);
    // Sorted and compared the same way (JS string order), so a cursor always splits the list right.
    const after = [...ctx.roles.values()]
      .filter((r) => r.metadata.name > page.after)
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    return { roles: after.slice(0, page.limit), more: after.length > page.limit };
  }

  /** Validates every document first; writes all of them or none. */
  async applyRoles(caller: User, body: string | unknown[]): Promise<Role[]> {
    requirePermission(caller, 'role', ['create', 'update'], await this.context());
    const roles = validateRoleDocuments(body);
    await this.store.putRoles(roles);
    return roles;
  }

  async deleteRole(caller: User, name: string): Promise<void> {
    requirePermission(caller, 'role', ['delete'], await this.context());
    if (!(await this.store.getRole(name))) throw new AccessbotError('ROLE_NOT_FOUND', `no role ${name}`);
    const holders = (await this.store.listUsers()).filter((u) => u.roles.includes(name)).map((u) => u.name);
    if (holders.length > 0) {
      throw new AccessbotError('CONFLICT', `role ${name} is still assigned to ${holders.join(', ')}`, {
        users: holders,
      });
    }
    await this.store.deleteRole(name);
  }
}

/** YAML text (one or more documents) or a JSON array of role objects → validated roles. */
export function validateRoleDocuments(body: string | unknown[]): Role[] {
  const roles = typeof body === 'string' ? parseRolesYaml(body) : validateJsonRoles(body);
  if (roles.length === 0) throw new AccessbotError('INVALID_ROLE', 'no role documents given');
  const seen = new Set<string>();
  const duplicates = roles.map((r) => r.metadata.name).filter((n) => seen.has(n) || !seen.add(n));
  if (duplicates.length > 0) {
    throw new AccessbotError('INVALID_ROLE', `role(s) given twice: ${duplicates.join(', ')}`, {
      problems: duplicates.map((n) => ({ path: 'metadata.name', message: `${n} given twice` })),
    });
  }
  return roles;
}

function validateJsonRoles(docs: unknown[]): Role[] {
  const roles: Role[] = [];
  const problems: { document: number; details: unknown; message: string }[] = [];
  docs.forEach((doc, index) => {
    try {
      roles.push(validateRole(doc));
    } catch (err) {
      if (!(err instanceof AccessbotError) || err.code !== 'INVALID_ROLE') throw err;
      problems.push({ document: index, message: err.message, details: err.details });
    }
  });
  if (problems.length > 0) {
    throw new AccessbotError(
      'INVALID_ROLE',
      problems.map((p) => `document ${p.document}: ${p.message}`).join('; '),
      problems,
    );
  }
  return roles;
}

/** A token TTL from 1 ms to MAX_TOKEN_TTL (a larger one would not be a date). */
function checkTokenTtl(text: string): number {
  const ms = parseDuration(text);
  if (ms < 1 || ms > MAX_TOKEN_TTL_MS) {
    throw new AccessbotError(
      'INVALID_DURATION',
      `token TTL "${text}" must be from 1ms to ${formatDuration(MAX_TOKEN_TTL_MS)}; omit it for a token that does not expire`,
      { limit: formatDuration(MAX_TOKEN_TTL_MS) },
    );
  }
  return ms;
}
