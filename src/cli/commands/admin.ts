// `accessbot admin approve|deny`: an administrator resolves a request outright, as
// `tctl request approve|deny` does, bypassing review thresholds.

import type { Command } from 'commander';
import type { ResolveInput } from '../../client/types.js';
import { parseKeyValues, parseList } from '../args.js';
import type { CliContext } from '../context.js';
import { safeText } from '../format/text.js';

interface ResolveFlags {
  roles?: string;
  reason?: string;
  annotations?: string;
}

function addResolveCommand(admin: Command, ctx: CliContext, verb: 'approve' | 'deny'): void {
  const state = verb === 'approve' ? 'APPROVED' : 'DENIED';
  const cmd = admin
    .command(verb)
    .description(`${verb} a request outright (needs update on access_request)`)
    .argument('<id>', 'request ID')
    .option('--reason <text>', 'why')
    .option('--annotations <pairs>', 'resolve annotations, k=v1,k=v2');
  if (verb === 'approve') cmd.option('--roles <roles>', 'grant only these of the requested roles');
  cmd.action(async (id: string, flags: ResolveFlags, command: Command) => {
    const input: ResolveInput = { state };
    if (flags.reason !== undefined) input.reason = flags.reason;
    if (flags.roles !== undefined) input.roles = parseList(flags.roles);
    if (flags.annotations !== undefined)
      input.annotations = parseKeyValues(flags.annotations, '--annotations');
    const req = await (await ctx.client(command)).resolveRequest(id, input);
    ctx.emit(command, req, () => {
      const granted =
        req.state === 'APPROVED' ? ` (granted: ${req.approvedRoles.map(safeText).join(', ')})` : '';
      return [`Request ${safeText(req.id)} ${req.state}${granted}`];
    });
  });
}

export function registerAdminCommands(program: Command, ctx: CliContext): void {
  const admin = program.command('admin').description('administrative decisions on requests');
  addResolveCommand(admin, ctx, 'approve');
  addResolveCommand(admin, ctx, 'deny');
}
