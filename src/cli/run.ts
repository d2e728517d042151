// Builds the accessbot command tree and runs it once; returns the exit code instead of
// exiting, so it can be driven in-process as well as from main.ts.

import { Command, CommanderError, Option } from 'commander';
import { packageVersion } from '../package-version.js';
import { PluginCommandError } from '../plugin-sdk/index.js';
import { registerAdminCommands } from './commands/admin.js';
import { registerConfigCommands } from './commands/config.js';
import { registerDeliveryCommands } from './commands/deliveries.js';
import { registerPluginCommands } from './commands/plugin-commands.js';
import { registerRequestCommands } from './commands/request.js';
import { registerRoleCommands } from './commands/roles.js';
import { registerServeCommands } from './commands/serve.js';
import { registerUserCommands } from './commands/users.js';
import { registerVersionCommand } from './commands/version.js';
import { CliContext, DEFAULT_API_URL } from './context.js';
import { EXIT } from './exit-codes.js';
import { describeFailure, formatFailure } from './failure.js';
import type { CliIo } from './io.js';

const EXIT_CODES_HELP = `
Plugin commands:
  accessbot <plugin> --help   set-up commands a plugin adds (e.g. accessbot <plugin> <command>)

Exit codes:
  0  success (request create: the request was approved)
  1  usage or input error; nothing was changed
  2  the API refused (authentication, permission, not found, state)
  3  the API (or, for serve/host/deliveries, Redis) could not be reached
  4  request create waited and the request was denied or expired
  5  a file, folder or disk cannot be used (unwritable folder, full disk); the path is named`;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('accessbot');
  // Settings first: subcommands copy them when created.
  program
    .description('just-in-time access requests: ask for roles or resources, review, approve')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s.replace(/\n$/, '')),
      writeErr: (s) => ctx.io.err(s.replace(/\n$/, '')),
      // Errors are printed by runCli in the one-line format.
      outputError: () => undefined,
    })
    .showSuggestionAfterError(true)
    .addOption(new Option('--api <url>', `access API URL (env ACCESSBOT_API, default ${DEFAULT_API_URL})`))
    .addOption(new Option('--token <token>', 'API token (env ACCESSBOT_TOKEN; prefer --token-file)'))
    .addOption(
      new Option(
        '--token-file <path>',
        'file holding the API token (env ACCESSBOT_TOKEN_FILE, default ./data/admin.token)',
      ),
    )
    .addOption(new Option('--config <file>', 'config file (env ACCESSBOT_CONFIG, default ./accessbot.yaml)'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .version(packageVersion(), '-v, --version', 'print the version')
    .addHelpText('after', EXIT_CODES_HELP);

  registerRequestCommands(program, ctx);
  registerAdminCommands(program, ctx);
  registerUserCommands(program, ctx);
  registerRoleCommands(program, ctx);
  registerDeliveryCommands(program, ctx);
  registerConfigCommands(program, ctx);
  registerServeCommands(program, ctx);
  registerVersionCommand(program, ctx);
  return program;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const ctx = new CliContext(io);
  const program = buildProgram(ctx);
  try {
    await registerPluginCommands(program, ctx, argv);
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT.OK;
      // `accessbot` alone or `accessbot request` alone: commander already printed the help.
      if (err.code === 'commander.help') return EXIT.INPUT;
      const message = err.message.replace(/^error:\s*/, '');
      io.err(formatFailure('BAD_REQUEST', message, "see 'accessbot --help'"));
      return EXIT.INPUT;
    }
    if (err instanceof PluginCommandError) {
      io.err(formatFailure(err.code, err.message, err.fix));
      return EXIT.INPUT;
    }
    const failure = describeFailure(err, ctx.apiUrl ? { apiUrl: ctx.apiUrl } : {});
    io.err(failure.line);
    return failure.exitCode;
  }
}
