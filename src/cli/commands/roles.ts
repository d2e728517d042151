// `accessbot roles apply|ls|rm`: role documents in Teleport's YAML shape.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Role } from '../../access/types.js';
import { AccessbotError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { renderTable } from '../format/table.js';
import { safeText } from '../format/text.js';
import { CLI_PAGE_SIZE, moreHint, readPages } from '../paging.js';

/** Reads and checks a roles file locally, so a malformed file never reaches the API. */
export async function readRolesFile(file: string): Promise<Role[]> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new AccessbotError('BAD_REQUEST', `cannot read ${file} (${code})`);
  }
  // The role schema (zod) loads only for this command.
  const { parseRolesYaml } = await import('../../access/role-schema.js');
  const roles = parseRolesYaml(text);
  if (roles.length === 0) throw new AccessbotError('INVALID_ROLE', `${file} holds no role documents`);
  return roles;
}

const names = (values: readonly string[] | undefined) => (values ?? []).map(safeText).join(',');

export function registerRoleCommands(program: Command, ctx: CliContext): void {
  const roles = program.command('roles').description('manage roles');

  roles
    .command('apply')
    .description('create or replace roles from a YAML file (several documents allowed)')
    .requiredOption('-f, --file <file>', 'roles YAML file')
    .action(async (flags: { file: string }, cmd: Command) => {
      const parsed = await readRolesFile(resolve(ctx.io.cwd, flags.file));
      const applied = await (await ctx.client(cmd)).applyRoles(parsed);
      ctx.emit(cmd, applied, () =>
        applied.map((r) => `role "${safeText(r.metadata.name)}" has been applied`),
      );
    });

  roles
    .command('ls')
    .description('list roles by name (the first 1000; --all for every page)')
    .option('--all', 'every role, page after page')
    .action(async (flags: { all?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const { items: list, more } = await readPages(Boolean(flags.all), async (after) => {
        const page = await client.listRolesPage({ limit: CLI_PAGE_SIZE, ...(after ? { after } : {}) });
        return { items: page.roles, ...(page.next ? { next: page.next } : {}) };
      });
      if (more) moreHint(ctx.io, list.length, 'roles');
      ctx.emit(cmd, list, () =>
        renderTable({
          columns: [
            { title: 'Role' },
            { title: 'Can request' },
            { title: 'Can review' },
            { title: 'Description' },
          ],
          rows: list.map((r) => [
            safeText(r.metadata.name),
            names(r.spec.allow?.request?.roles),
            names(r.spec.allow?.review_requests?.roles),
            safeText(r.metadata.description ?? ''),
          ]),
        }),
      );
    });

  roles
    .command('rm')
    .description('delete a role')
    .argument('<name>', 'role name')
    .action(async (name: string, _flags: unknown, cmd: Command) => {
      await (await ctx.client(cmd)).deleteRole(name);
      ctx.emit(cmd, { deleted: name }, () => [`role "${safeText(name)}" has been deleted`]);
    });
}
