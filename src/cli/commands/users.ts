// `accessbot users add|ls|rm|token`: the people (and service identities) the API knows.

import type { Command } from 'commander';
import type { UserInput } from '../../client/types.js';
import { AccessbotError } from '../../errors.js';
import { parseKeyValues, parseList } from '../args.js';
import type { CliContext } from '../context.js';
import { renderTable } from '../format/table.js';
import { formatUtc, safeText } from '../format/text.js';

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
    .description('list users')
    .action(async (_flags: unknown, cmd: Command) => {
      const list = await (await ctx.client(cmd)).listUsers();
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
}
