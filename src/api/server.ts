// Starts the access API: store, bootstrap, optional roles file, HTTP routes, expiry sweeper.

import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { parseDuration } from '../access/index.js';
import type { ApiConfig } from '../config/schema.js';
import { AccessbotError } from '../errors.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/types.js';
import type { ServiceSettings } from './access-context.js';
import { buildApp } from './app.js';
import { AuthThrottle } from './auth-throttle.js';
import { bootstrap } from './bootstrap.js';
import { DirectoryService, validateRoleDocuments } from './directory-service.js';
import { startEventPruner } from './event-pruner.js';
import { startExpirySweeper } from './expiry-sweeper.js';
import { buildOpenApiDocument } from './openapi.js';
import { RequestService } from './request-service.js';
import { directoryRoutes } from './routes/directory.js';
import { eventRoutes, type WatchTiming } from './routes/events.js';
import { metaRoutes } from './routes/meta.js';
import { requestRoutes } from './routes/requests.js';
import type { ApiRoute } from './routes/route.js';

export { ensureServiceToken } from './bootstrap.js';

export interface RunningApi {
  url: string;
  port: number;
  store: Store;
  adminTokenFile: string;
  close(): Promise<void>;
}

export async function startApiServer(opts: {
  config: ApiConfig;
  log: Logger;
  now?: () => Date;
  /** Watch stream timings (tests shorten them). */
  watchTiming?: WatchTiming;
}): Promise<RunningApi> {
  const { config, log } = opts;
  const now = opts.now ?? (() => new Date());
  const { host, port } = parseListen(config.listen);
  const store = new SqliteStore({ path: config.store.path, now });
  try {
    const settings: ServiceSettings = {
      now,
      defaultRequestTtlMs: parseDuration(config.request_ttl),
      maxRequestTtlMs: parseDuration(config.max_request_ttl),
    };
    const adminTokenFile = await bootstrap(store, { dataDir: config.data_dir, now: now(), log });
    if (config.roles_file) await applyRolesFile(store, config.roles_file, log);

    const throttle = new AuthThrottle(log);
    const requests = new RequestService(store, settings);
    const directory = new DirectoryService(store, settings);
    const routes: ApiRoute[] = [];
    const openapi = () => buildOpenApiDocument(routes, '1.0.0');
    routes.push(
      ...requestRoutes(requests),
      ...directoryRoutes(directory),
      ...eventRoutes(store, settings, log, opts.watchTiming),
      ...metaRoutes(store, openapi),
    );
    const app = buildApp(routes, { store, settings, log, throttle });
    // Prometheus text, not part of the JSON API (so not in the OpenAPI document).
    app.get('/metrics', async (_req, reply) =>
      reply.header('content-type', throttle.registry.contentType).send(await throttle.registry.metrics()),
    );
    await app.listen({ host, port });
    const address = app.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    const sweeper = startExpirySweeper(requests, parseDuration(config.expiry_interval), log);
    const pruner = startEventPruner(store, parseDuration(config.event_retention), log);
    const urlHost =
      host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const url = `http://${urlHost}:${boundPort}`;
    log.info({ url, db: config.store.path }, 'access API listening');

    let closing: Promise<void> | undefined;
    return {
      url,
      port: boundPort,
      store,
      adminTokenFile,
      close: () => {
        closing ??= (async () => {
          await sweeper.stop();
          await pruner.stop();
          await app.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

async function applyRolesFile(store: Store, path: string, log: Logger): Promise<void> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AccessbotError(
      'CONFIG_INVALID',
      `cannot read api.roles_file ${path}: ${(err as Error).message}`,
    );
  }
  const roles = validateRoleDocuments(text);
  await store.putRoles(roles);
  log.info({ path, roles: roles.map((r) => r.metadata.name) }, 'applied roles file');
}

function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i) || '0.0.0.0';
  const port = Number(listen.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AccessbotError('CONFIG_INVALID', `api.listen: bad port in ${listen}`);
  }
  return { host, port };
}
