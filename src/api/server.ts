// Starts the access API: store, bootstrap, optional roles file, HTTP routes, expiry sweeper.

import type { Logger } from 'pino';
import type { ApiConfig } from '../config/schema.js';
import { AccessbotError } from '../errors.js';
import { packageVersion } from '../package-version.js';
import { describeStore, openStore } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import type { ServiceSettings } from './access-context.js';
import { buildApp } from './app.js';
import { AuthThrottle } from './auth-throttle.js';
import { bootstrap } from './bootstrap.js';
import { DirectoryService } from './directory-service.js';
import { startEventPruner } from './event-pruner.js';
import { registerExpiryMetrics } from './expiry-metrics.js';
import { startExpirySweeper } from './expiry-sweeper.js';
import { buildOpenApiDocument } from './openapi.js';
import { readRolesFile } from './preflight.js';
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
  /** Runs an expiry sweep now (or joins the one running); resolves with how many expired. */
  sweepExpired(): Promise<number>;
  close(): Promise<void>;
}

export async function startApiServer(opts: {
  config: ApiConfig;
  log: Logger;
  now?: () => Date;
  /** Watch stream timings (tests shorten them). */
  watchTiming?: WatchTiming;
  /** Failed authentications per source and window before 429 (default AUTH_FAILURES_PER_WINDOW). */
  authFailuresPerWindow?: number;
}): Promise<RunningApi> {
  const { config, log } = opts;
  const now = opts.now ?? (() => new Date());
  const { host, port } = parseListen(config.listen);
  // Read and checked before anything is written: a bad roles file must not leave a database,
  // an admin user and a token behind on a first start that then fails.
  const roles = config.roles_file ? readRolesFile(config.roles_file) : undefined;
  const store = await openStore(config.store, { now, log });
  try {
    const settings: ServiceSettings = {
      now,
      defaultRequestTtlMs: config.request_ttl,
      maxRequestTtlMs: config.max_request_ttl,
    };
    const adminTokenFile = await bootstrap(store, { dataDir: config.data_dir, now: now(), log });
    if (roles) {
      await store.putRoles(roles);
      log.info({ path: config.roles_file, roles: roles.map((r) => r.metadata.name) }, 'applied roles file');
    }

    const throttle = new AuthThrottle(log, Date.now, opts.authFailuresPerWindow);
    const requests = new RequestService(store, settings);
    const directory = new DirectoryService(store, settings);
    const routes: ApiRoute[] = [];
    let document: unknown;
    const openapi = () => {
      document ??= buildOpenApiDocument(routes, { version: packageVersion() });
      return document;
    };
    routes.push(
      ...requestRoutes(requests),
      ...directoryRoutes(directory),
      ...eventRoutes(store, settings, log, opts.watchTiming),
      ...metaRoutes(store, openapi),
    );
    const app = buildApp(routes, { store, settings, log, throttle });
    registerExpiryMetrics(throttle.registry, store, now);
    // Prometheus text, not part of the JSON API (so not in the OpenAPI document).
    app.get('/metrics', async (_req, reply) =>
      reply.header('content-type', throttle.registry.contentType).send(await throttle.registry.metrics()),
    );
    await app.listen({ host, port });
    const address = app.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    // With several replicas on one database, one of them at a time sweeps and prunes.
    const sweeper = startExpirySweeper(requests, store, config.expiry_interval, log, {
      now,
      mayRun: () => store.holdsSingleton('expiry-sweeper'),
    });
    const pruner = startEventPruner(store, config.event_retention, log);
    const urlHost =
      host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const url = `http://${urlHost}:${boundPort}`;
    log.info({ url, store: describeStore(config.store) }, 'access API listening');

    let closing: Promise<void> | undefined;
    return {
      url,
      port: boundPort,
      store,
      adminTokenFile,
      sweepExpired: () => sweeper.sweep(),
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

function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i) || '0.0.0.0';
  const port = Number(listen.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AccessbotError('CONFIG_INVALID', `api.listen: bad port in ${listen}`);
  }
  return { host, port };
}
