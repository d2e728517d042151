// `accessbot config check [--online]`: loads the config exactly as `serve` would, plugins
// included, checks the `api:` paths the way `serve` resolves them (roles file readable and
// valid, data folders writable), and lists every problem at once. `--online` then contacts the
// API and each enabled plugin's platform (see ../setup-check.ts).

import type { Command } from 'commander';
import type { ConfigError, ConfigIssue, LoadedConfig } from '../../config/index.js';
import { AccessbotError, hasCode } from '../../errors.js';
import type { RedisConfigProblem } from '../../host/redis/redis-options.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatFailure } from '../failure.js';
import { safeText } from '../format/text.js';

function listenToUrl(listen: string): string {
  const [host, port] = listen.startsWith(':') ? ['127.0.0.1', listen.slice(1)] : listen.split(':');
  return `http://${host === '0.0.0.0' || !host ? '127.0.0.1' : host}:${port}`;
}

/** The API the check talks to: --api, ACCESSBOT_API, host.api.url, else the one `serve` would start. */
function apiUrlFor(ctx: CliContext, cmd: Command, loaded: LoadedConfig): string {
  return (
    ctx.globals(cmd).api ||
    ctx.io.env.ACCESSBOT_API ||
    loaded.config.host.api.url ||
    listenToUrl(loaded.config.api.listen)
  ).replace(/\/+$/, '');
}

/** `host.redis` read the way the host reads it (serve stops on a URL or TLS file it cannot use). */
async function redisUrlProblems(loaded: LoadedConfig): Promise<ConfigIssue[]> {
  const redis = loaded.config.host.redis;
  const { redisIsConfigured, redisOptionsFromConfig } = await import('../../host/redis/redis-options.js');
  if (!redisIsConfigured(redis)) return [];
  try {
    redisOptionsFromConfig(redis);
    return [];
  } catch (err) {
    const at = err instanceof AccessbotError ? (err.details as RedisConfigProblem | undefined) : undefined;
    if (!at) return [{ path: 'host.redis', message: err instanceof Error ? err.message : String(err) }];
    const example = at.path === 'host.redis.url' ? ' (e.g. redis://127.0.0.1:6379)' : '';
    return [{ path: at.path, message: `${at.problem}${example}` }];
  }
}

function printProblems(ctx: CliContext, cmd: Command, problems: ConfigIssue[], summary: string): void {
  if (ctx.format(cmd) === 'json') {
    ctx.io.out(
      JSON.stringify({ ok: false, code: 'CONFIG_INVALID', message: summary, details: problems }, null, 2),
    );
    return;
  }
  ctx.io.err(formatFailure('CONFIG_INVALID', summary, 'each problem is listed below'));
  for (const p of problems) ctx.io.err(`  ${safeText(p.path)}: ${safeText(p.message)}`);
}

export function registerConfigCommands(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('configuration');

  config
    .command('check')
    .description(
      'validate the config file, env overrides and plugin blocks; --online also contacts the API and every platform',
    )
    .option('--online', 'contact the API and each enabled plugin platform and report what is wrong there')
    .action(async (flags: { online?: boolean }, cmd: Command) => {
      let loaded: LoadedConfig;
      try {
        loaded = await ctx.config(cmd);
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
        return;
      }
      const where = loaded.source ?? '(no file: embedded defaults and environment)';
      const { apiConfigProblems, withAbsoluteApiPaths } = await import('../../api/preflight.js');
      const offline = [
        ...apiConfigProblems(withAbsoluteApiPaths(loaded.config.api, ctx.io.cwd)),
        ...(await redisUrlProblems(loaded)),
      ];
      if (offline.length > 0) {
        const noun = offline.length === 1 ? 'problem' : 'problems';
        printProblems(ctx, cmd, offline, `configuration has ${offline.length} ${noun} in ${where}`);
        ctx.exitCode = EXIT.INPUT;
        return;
      }
      const plugins = [...loaded.pluginConfigs.keys()];
      if (!flags.online) {
        ctx.emit(cmd, { ok: true, source: loaded.source ?? null, plugins }, () => [
          `config OK: ${safeText(where)}`,
          ...(plugins.length > 0 ? [`plugins enabled: ${plugins.join(', ')}`] : []),
        ]);
        return;
      }
      const { checkOnline } = await import('../setup-check.js');
      let report: Awaited<ReturnType<typeof checkOnline>>;
      if (loaded.config.host.source === 'teleport') {
        report = await checkOnline(loaded, undefined);
      } else {
        const url = apiUrlFor(ctx, cmd, loaded);
        const { createAccessClient } = await import('../api-client.js');
        const client = createAccessClient(url, await ctx.resolveToken(cmd));
        report = await checkOnline(loaded, { url, client });
      }
      if (report.problems.length === 0) {
        ctx.emit(cmd, { ok: true, source: loaded.source ?? null, plugins, checked: report.ok }, () => [
          `config OK: ${safeText(where)}`,
          ...report.ok.map((line) => `online OK: ${safeText(line)}`),
        ]);
        return;
      }
      for (const line of report.ok)
        if (ctx.format(cmd) !== 'json') ctx.io.out(`online OK: ${safeText(line)}`);
      const noun = report.problems.length === 1 ? 'problem' : 'problems';
      printProblems(ctx, cmd, report.problems, `${report.problems.length} ${noun} found online`);
      ctx.exitCode = report.apiUnreachable && report.problems.length === 1 ? EXIT.UNREACHABLE : EXIT.INPUT;
    });
}
