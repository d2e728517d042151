// `accessbot config check`: loads the config exactly as `serve` would, plugins included, and
// lists every problem at once.

import type { Command } from 'commander';
import type { ConfigError } from '../../config/index.js';
import { hasCode } from '../../errors.js';
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
        if (!hasCode(err, 'CONFIG_INVALID') || !('describe' in (err as object))) throw err;
        const invalid = err as ConfigError;
        if (ctx.format(cmd) === 'json') {
          ctx.io.out(JSON.stringify({ ok: false, ...invalid.toJSON() }, null, 2));
        } else {
          ctx.io.err(formatFailure(invalid.code, invalid.message, 'each problem is listed below'));
          for (const line of invalid.describe()) ctx.io.err(`  ${safeText(line)}`);
        }
        ctx.exitCode = EXIT.INPUT;
      }
    });
}
