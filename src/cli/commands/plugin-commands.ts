// `accessbot <plugin-id> <command>`: commands a plugin declares in its definition (set-up
// helpers), mounted without the CLI naming any plugin. Importing a plugin loads its platform
// SDK, so only the plugin whose folder the first argument names is imported, and only when no
// built-in command has that name; `accessbot --help` imports none.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { DEFAULT_PLUGINS_DIR, loadPluginDefinitions } from '../../config/plugin-discovery.js';
import { AccessbotError } from '../../errors.js';
import { type PluginCommand, PluginCommandError, type PluginCommandValues } from '../../plugin-sdk/index.js';
import type { CliContext } from '../context.js';

/** Plugin and command names: what a folder and a sub-command may safely be called. */
const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * The command the user named: the first argument that is not a global option or its value
 * (or, for `accessbot help <command>`, the one after `help`).
 */
export function namedCommand(program: Command, argv: string[]): string | undefined {
  const operands: string[] = [];
  for (let i = 0; i < argv.length && operands.length < 2; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      operands.push(...argv.slice(i + 1, i + 3));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') operands.push(arg);
    else if (!arg.includes('=') && program.options.find((o) => o.long === arg || o.short === arg)?.required)
      i++;
  }
  return operands[0] === 'help' ? operands[1] : operands[0];
}

function hasPluginFolder(dir: string, id: string): boolean {
  return ['index.js', 'index.ts'].some((file) => existsSync(join(dir, id, file)));
}

function addOptions(cmd: Command, pluginCommand: PluginCommand): void {
  for (const spec of pluginCommand.options ?? []) {
    if (!NAME.test(spec.name)) {
      throw new AccessbotError('PLUGIN_NOT_FOUND', `plugin option "${spec.name}" is not a valid flag name`);
    }
    const flag = spec.value ? `--${spec.name} <${spec.value}>` : `--${spec.name}`;
    const option = new Option(flag, spec.description);
    if (spec.value && spec.required) option.makeOptionMandatory(true);
    if (spec.value && spec.default !== undefined) option.default(spec.default);
    cmd.addOption(option);
  }
}

function valuesOf(cmd: Command, pluginCommand: PluginCommand): PluginCommandValues {
  const values: PluginCommandValues = {};
  for (const spec of pluginCommand.options ?? []) {
    const option = cmd.options.find((o) => o.long === `--${spec.name}`);
    const value: unknown = option ? cmd.getOptionValue(option.attributeName()) : undefined;
    values[spec.name] = typeof value === 'string' || value === true ? value : undefined;
  }
  return values;
}

export async function registerPluginCommands(
  program: Command,
  ctx: CliContext,
  argv: string[],
  pluginsDir = DEFAULT_PLUGINS_DIR,
): Promise<void> {
  const id = namedCommand(program, argv);
  if (!id || !NAME.test(id) || program.commands.some((c) => c.name() === id)) return;
  if (!hasPluginFolder(pluginsDir, id)) return;
  const definition = (await loadPluginDefinitions(pluginsDir, [id])).get(id);
  const commands = definition?.commands ?? [];
  if (!definition || commands.length === 0) return;

  const group = program.command(id).description(`commands of the ${id} plugin`);
  for (const pluginCommand of commands) {
    if (!NAME.test(pluginCommand.name)) {
      throw new AccessbotError(
        'PLUGIN_NOT_FOUND',
        `plugin ${id} declares an invalid command "${pluginCommand.name}"`,
      );
    }
    const cmd = group.command(pluginCommand.name).description(pluginCommand.description);
    addOptions(cmd, pluginCommand);
    // A missing or unknown option points at this command's own help, not the top-level one.
    const help = `see 'accessbot ${id} ${pluginCommand.name} --help'`;
    cmd.exitOverride((err) => {
      if (err.exitCode === 0 || err.code === 'commander.help') throw err;
      throw new PluginCommandError('BAD_REQUEST', err.message.replace(/^error:\s*/, ''), help);
    });
    cmd.action(async () => {
      await pluginCommand.run(valuesOf(cmd, pluginCommand), {
        out: (line) => ctx.io.out(line),
        err: (line) => ctx.io.err(line),
        cwd: ctx.io.cwd,
      });
    });
  }
}
