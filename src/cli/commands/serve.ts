// `accessbot serve | api | host`: the long-running processes. `serve` is the embedded default
// (API + plugin host in one process); `api` and `host` are the halves for scale-out.

import type { Command } from 'commander';
import type { LoadedConfig } from '../../config/index.js';
import { AccessbotError } from '../../errors.js';
import type { CliContext } from '../context.js';

const runtime = () => import('../serve-runtime.js');

/**
 * The config with `api:` paths made absolute against the command's working directory, exactly
 * as `config check` resolves them (so what check vouches for is what starts).
 */
async function withApiPaths(ctx: CliContext, cmd: Command): Promise<LoadedConfig> {
  const loaded = await ctx.config(cmd);
  const { withAbsoluteApiPaths } = await import('../../api/preflight.js');
  return {
    ...loaded,
    config: { ...loaded.config, api: withAbsoluteApiPaths(loaded.config.api, ctx.io.cwd) },
  };
}

export function registerServeCommands(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the access API and the plugin host in one process (the embedded default)')
    .action(async (_flags: unknown, cmd: Command) => {
      const loaded = await withApiPaths(ctx, cmd);
      await (await runtime()).runServe(ctx, loaded, async () => (await ctx.reloadConfig(cmd)).config);
    });

  program
    .command('api')
    .description(
      'run the access API only (one process per SQLite database; several replicas share one PostgreSQL database)',
    )
    .action(async (_flags: unknown, cmd: Command) => {
      const { config } = await withApiPaths(ctx, cmd);
      await (await runtime()).runApiOnly(ctx, config);
    });

  program
    .command('host')
    .description(
      'run the plugin host only, against an API given by --api or host.api.url (or the Teleport cluster of host.teleport)',
    )
    .action(async (_flags: unknown, cmd: Command) => {
      const loaded = await ctx.config(cmd);
      const { config } = loaded;
      const reload = async () => (await ctx.reloadConfig(cmd)).config;
      if (config.host.source === 'teleport') {
        await (await runtime()).runHostOnly(ctx, loaded, undefined, reload);
        return;
      }
      const apiUrl = ctx.globals(cmd).api ?? ctx.io.env.ACCESSBOT_API ?? config.host.api.url;
      if (!apiUrl) {
        throw new AccessbotError(
          'CONFIG_INVALID',
          'the host needs the API URL: pass --api URL or set host.api.url',
        );
      }
      const token = config.host.api.token ?? (await ctx.resolveToken(cmd));
      await (await runtime()).runHostOnly(ctx, loaded, { url: apiUrl, token }, reload);
    });
}
