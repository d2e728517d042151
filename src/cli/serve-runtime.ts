// What `accessbot serve | api | host` run. Loaded only by those commands, so everyday verbs
// do not pay for loading fastify, SQLite, BullMQ and the plugins.

import { ensureServiceToken, type RunningApi, startApiServer } from '../api/server.js';
import { HttpAccessClient } from '../client/http-access-client.js';
import type { Config, LoadedConfig } from '../config/index.js';
import { type RunningHost, startHost } from '../host/index.js';
import { createLogger, type Logger } from '../log.js';
import type { CliContext } from './context.js';
import { describeFailure } from './failure.js';

/** The identity `serve` gives its own plugin host, and the role that lets it review on behalf. */
export const HOST_SERVICE_USER = 'accessbot-host';
export const HOST_SERVICE_ROLES = ['accessbot-plugin'];

interface Closable {
  name: string;
  close(): Promise<void>;
}

/**
 * Resolves on SIGINT/SIGTERM, after closing everything in reverse start order. SIGHUP runs
 * `onHangup` (a config reload) and keeps running, unless the process writes to a terminal.
 */
function closeOnSignal(
  ctx: CliContext,
  log: Logger,
  parts: Closable[],
  onHangup?: () => Promise<void>,
): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    // One reload at a time; a SIGHUP during a reload runs one more after it (the file may
    // have changed after the running reload read it).
    let reloading = false;
    let again = false;
    const hangup = () => {
      if (stopping || !onHangup) return;
      if (reloading) {
        again = true;
        return;
      }
      reloading = true;
      void (async () => {
        do {
          again = false;
          await onHangup();
        } while (again && !stopping);
        reloading = false;
      })();
    };
    const stop = async (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      ctx.io.out(`${signal} received, shutting down`);
      for (const part of [...parts].reverse()) {
        try {
          await part.close();
        } catch (err) {
          log.error({ err, part: part.name }, 'error while shutting down');
        }
      }
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', onSighup);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // In a terminal, SIGHUP means the terminal went away: stop, as an unhandled SIGHUP would.
    // Under a supervisor (systemd's ExecReload, `docker kill -s HUP`), it means reload.
    const onSighup = process.stdout.isTTY ? () => void stop('SIGHUP') : hangup;
    process.on('SIGHUP', onSighup);
  });
}

async function startHostWith(
  ctx: CliContext,
  config: Config,
  apiUrl: string,
  token: string,
  log: Logger,
  plugins: LoadedConfig['plugins'],
): Promise<RunningHost> {
  const hostConfig: Config = { ...config, host: { ...config.host, api: { url: apiUrl, token } } };
  const client = new HttpAccessClient({ baseUrl: apiUrl, token });
  // The plugins as the config loader validated them: the host validates nothing again.
  const host = await startHost({ config: hostConfig, client, log, plugins });
  ctx.io.out(`plugin host listening on ${host.url}`);
  return host;
}

/** `host.source: teleport`: the host follows the Teleport cluster; no access API is involved. */
async function startHostOnTeleport(
  ctx: CliContext,
  config: Config,
  log: Logger,
  plugins: LoadedConfig['plugins'],
): Promise<RunningHost> {
  const { openTeleportSource } = await import('../host/source/teleport/index.js');
  const teleport = config.host.teleport!;
  const opened = await openTeleportSource(teleport, log);
  let host: RunningHost;
  try {
    const ping = await opened.source.ping();
    ctx.io.out(
      `following Teleport cluster ${ping.clusterName} (${ping.serverVersion}) at ${teleport.address}`,
    );
    host = await startHost({ config, client: opened.source, log, plugins });
  } catch (err) {
    await opened.close();
    throw err;
  }
  ctx.io.out(`plugin host listening on ${host.url}`);
  return {
    ...host,
    reloadRouting: (rules) => host.reloadRouting(rules),
    close: async () => {
      await host.close();
      await opened.close();
    },
  };
}

/** Loads the config file again; the routing rules are what a running host can take without a restart. */
export type ConfigReloader = () => Promise<Config>;

function reloadRoutingOnHangup(ctx: CliContext, host: RunningHost, reload: ConfigReloader) {
  return async () => {
    try {
      const next = await reload();
      host.reloadRouting(next.host.routing);
      ctx.io.out(
        `SIGHUP received: routing reloaded (${next.host.routing.length} rules; other settings need a restart)`,
      );
    } catch (err) {
      ctx.io.err(`SIGHUP received: config not reloaded, the running one stays: ${describeFailure(err).line}`);
    }
  };
}

function announceApi(ctx: CliContext, api: RunningApi): void {
  ctx.io.out(`access API listening on ${api.url}`);
  ctx.io.out(`admin token file: ${api.adminTokenFile}`);
}

export async function runServe(ctx: CliContext, loaded: LoadedConfig, reload: ConfigReloader): Promise<void> {
  const { config } = loaded;
  const log = createLogger({ level: config.log.level });
  if (config.host.source === 'teleport') {
    // Requests live in Teleport: the access API has nothing to serve the host.
    const host = await startHostOnTeleport(ctx, config, log, loaded.plugins);
    await closeOnSignal(
      ctx,
      log,
      [{ name: 'host', close: () => host.close() }],
      reloadRoutingOnHangup(ctx, host, reload),
    );
    return;
  }
  const parts: Closable[] = [];
  let host: RunningHost;
  try {
    const api = await startApiServer({ config: config.api, log });
    parts.push({ name: 'api', close: () => api.close() });
    announceApi(ctx, api);
    const token = await ensureServiceToken(api.store, HOST_SERVICE_USER, HOST_SERVICE_ROLES);
    host = await startHostWith(ctx, config, api.url, token, log, loaded.plugins);
    const started = host;
    parts.push({ name: 'host', close: () => started.close() });
  } catch (err) {
    for (const part of parts.reverse()) await part.close().catch(() => undefined);
    throw err;
  }
  await closeOnSignal(ctx, log, parts, reloadRoutingOnHangup(ctx, host, reload));
}

export async function runApiOnly(ctx: CliContext, config: Config): Promise<void> {
  const log = createLogger({ level: config.log.level });
  const api = await startApiServer({ config: config.api, log });
  announceApi(ctx, api);
  await closeOnSignal(ctx, log, [{ name: 'api', close: () => api.close() }], async () => {
    ctx.io.out('SIGHUP received: the API reads its config at start only; restart it to change settings');
  });
}

export async function runHostOnly(
  ctx: CliContext,
  loaded: LoadedConfig,
  api: { url: string; token: string } | undefined,
  reload: ConfigReloader,
): Promise<void> {
  const { config } = loaded;
  const log = createLogger({ level: config.log.level });
  const host = api
    ? await startHostWith(ctx, config, api.url, api.token, log, loaded.plugins)
    : await startHostOnTeleport(ctx, config, log, loaded.plugins);
  await closeOnSignal(
    ctx,
    log,
    [{ name: 'host', close: () => host.close() }],
    reloadRoutingOnHangup(ctx, host, reload),
  );
}
