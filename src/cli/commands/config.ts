// `accessbot config check`: loads the config exactly as `serve` would, plugins included, and
// lists every problem at once.

import type { Command } from 'commander';
import { ConfigError } from '../../config/index.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatFailure } from '../failure.js';
import { safeText } from '../format/text.js';

export function registerConfigCommands(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('configuration');

  config
    .command('check')
    .description('validate the config file, env overrides and plugin blocks')
    .action(async (_flags: unknown, cmd: Command) => {
      try {
        const loaded = await ctx.config(cmd);
        const where = loaded.source ?? '(no file: embedded defaults and environment)';
        const plugins = [...loaded.pluginConfigs.keys()];
        ctx.emit(cmd, { ok: true, source: loaded.source ?? null, plugins }, () => [
          `config OK: ${safeText(where)}`,
          ...(plugins.length > 0 ? [`plugins enabled: ${plugins.join(', ')}`] : []),
        ]);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        if (ctx.format(cmd) === 'json') {
          ctx.io.out(JSON.stringify({ ok: false, ...err.toJSON() }, null, 2));
        } else {
          ctx.io.err(formatFailure(err.code, err.message, 'each problem is listed below'));
          for (const line of err.describe()) ctx.io.err(`  ${safeText(line)}`);
        }
        ctx.exitCode = EXIT.INPUT;
      }
    });
}
