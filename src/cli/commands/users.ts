// `accessbot users add|ls|rm|token|login-link`: the people (and service identities) the API knows.

import type { Command } from 'commander';
import type { UserInput } from '../../client/types.js';
import { AccessbotError } from '../../errors.js';
import { parseKeyValues, parseList } from '../args.js';
import type { CliContext } from '../context.js';
import { renderTable } from '../format/table.js';
import { formatUtc, safeText } from '../format/text.js';
import { CLI_PAGE_SIZE, moreHint, readPages } from '../paging.js';

export function registerUserCommands(program: Command, ctx: CliContext): void {
  const users = program.command('users').description('manage users and their tokens');

  users
    .command('add')
    .description('create or update a user')
    .argument('<name>', 'user name')
    .requiredOption('--roles <roles>', 'comma-separated roles')
    .option('--email <email>', 'email, used to match chat and ticket identities')
    .option('--traits <pairs>', 'traits, k=v1,k=v2 (multi-valued)')
    .action(async (name: string, flags: { roles: string; email?: string; traits?: string }, cmd: Command) => {
      const roles = parseList(flags.roles);
      if (roles.length === 0) throw new AccessbotError('BAD_REQUEST', '--roles needs at least one role');
      const input: UserInput = { name, roles };
      if (flags.email !== undefined) input.email = flags.email;
      if (flags.traits !== undefined) input.traits = parseKeyValues(flags.traits, '--traits');
      const user = await (await ctx.client(cmd)).upsertUser(input);
      ctx.emit(cmd, user, () => [
        `User ${safeText(user.name)} saved with roles ${user.roles.map(safeText).join(', ')}`,
      ]);
    });

  users
    .command('ls')
    .description('list users by name (the first 1000; --all for every page)')
    .option('--all', 'every user, page after page')
    .action(async (flags: { all?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const { items: list, more } = await readPages(Boolean(flags.all), async (after) => {
        const page = await client.listUsersPage({ limit: CLI_PAGE_SIZE, ...(after ? { after } : {}) });
        return { items: page.users, ...(page.next ? { next: page.next } : {}) };
      });
      if (more) moreHint(ctx.io, list.length, 'users');
      ctx.emit(cmd, list, () =>
        renderTable({
          columns: [{ title: 'User' }, { title: 'Roles' }, { title: 'Email' }, { title: 'Created At (UTC)' }],
          rows: list.map((u) => [
            safeText(u.name),
            u.roles.map(safeText).join(','),
            safeText(u.email ?? ''),
            formatUtc(u.createdAt),
          ]),
        }),
      );
    });

  users
    .command('rm')
    .description('delete a user (their tokens stop working)')
    .argument('<name>', 'user name')
    .action(async (name: string, _flags: unknown, cmd: Command) => {
      await (await ctx.client(cmd)).deleteUser(name);
      ctx.emit(cmd, { deleted: name }, () => [`User ${safeText(name)} has been deleted`]);
    });

  users
    .command('token')
    .description('issue an API token for a user (shown once)')
    .argument('<name>', 'user name')
    .option('--ttl <duration>', 'how long the token is valid', '720h')
    .action(async (name: string, flags: { ttl: string }, cmd: Command) => {
      const issued = await (await ctx.client(cmd)).issueToken(name, { ttl: flags.ttl });
      // The token alone goes to stdout, so `users token bob > bob.token` makes a usable token file;
      // the explanation goes to stderr.
      ctx.emit(cmd, issued, () => [issued.token]);
      if (ctx.format(cmd) === 'text') {
        ctx.io.err(
          `The token above acts as ${safeText(issued.user)}${issued.expires ? ` until ${formatUtc(issued.expires)}` : ''}.`,
        );
        ctx.io.err('It is shown only once: hand it over through a secret store, e.g. ACCESSBOT_TOKEN_FILE.');
      }
    });

  users
    .command('login-link')
    .description('a one-time link for a user to sign in on the review page (<host.public_url>/sign-in)')
    .argument('<name>', 'user name')
    .option('--ttl <duration>', 'how long the link is valid (at most 1h)', '15m')
    .action(async (name: string, flags: { ttl: string }, cmd: Command) => {
      if (!LOGIN_LINK_TTL.test(flags.ttl))
        throw new AccessbotError(
          'BAD_REQUEST',
          `--ttl ${safeText(flags.ttl)} is not 1m to 60m or 1h (e.g. 15m)`,
        );
      const publicUrl = (await ctx.hostConfig(cmd)).config.host.public_url;
      if (!publicUrl)
        throw new AccessbotError(
          'CONFIG_INVALID',
          'host.public_url is not set, so there is no page to sign in on (set it in the config file)',
        );
      // A short-lived API token of that user; the page accepts it for one sign-in through the link.
      const issued = await (await ctx.client(cmd)).issueToken(name, {
        ttl: flags.ttl,
        description: 'login link',
      });
      const link = `${publicUrl.replace(/\/+$/, '')}/sign-in?t=${encodeURIComponent(issued.token)}`;
      ctx.emit(
        cmd,
        { user: issued.user, link, ...(issued.expires ? { expires: issued.expires } : {}) },
        () => [link],
      );
      if (ctx.format(cmd) === 'text')
        ctx.io.err(
          `The link above signs in ${safeText(issued.user)} once${issued.expires ? `, until ${formatUtc(issued.expires)}` : ''}; hand it over privately.`,
        );
    });
}

/** `15m`, `60m`, `1h`: a login link is short-lived. */
const LOGIN_LINK_TTL = /^(?:[1-9]|[1-5][0-9]|60)m$|^1h$/;
