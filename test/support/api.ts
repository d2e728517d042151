// A real access API for tests: temp-dir SQLite (or a database of its own on the run's private
// PostgreSQL: `store: 'postgres'`, or ACCESSBOT_TEST_STORE=postgres for a whole suite), 127.0.0.1
// port 0, silent logger, the bootstrap admin's token, and real tokens minted over HTTP for any user.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WatchTiming } from '../../src/api/routes/events.js';
import { type RunningApi, startApiServer } from '../../src/api/server.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import type { UserInput } from '../../src/client/types.js';
import { apiConfigSchema } from '../../src/config/schema.js';
import { createLogger, type Logger } from '../../src/log.js';
import { createSharedTestDatabase } from './postgres.js';

export interface TestApiOptions {
  /** Role documents applied (as YAML, through the API) before the users are created. */
  rolesYaml?: string;
  users?: UserInput[];
  /** The API's clock (expiry tests move it forward). */
  now?: () => Date;
  /** Expiry sweep interval, e.g. '100ms' (default: the config default). */
  expiryInterval?: string;
  /** Watch stream timings (credential re-check, stalled reader cut-off). */
  watchTiming?: WatchTiming;
  /** Failed authentications per source before 429 TOO_MANY_FAILED_AUTH (default 30 a minute). */
  authFailuresPerWindow?: number;
  /** The API's logger (default: silent), for suites that read what the API logs. */
  log?: Logger;
  /**
   * The store: 'sqlite' (default, or ACCESSBOT_TEST_STORE), 'postgres' (a fresh database), or
   * `{ postgresUrl }` to share a database with another API (replicas; the caller drops it).
   */
  store?: 'sqlite' | 'postgres' | { postgresUrl: string };
  /** With a shared database: the admin token the first API wrote (a replica writes none). */
  adminToken?: string;
}

export interface TestApi {
  api: RunningApi;
  adminClient: HttpAccessClient;
  /** A client with a fresh token for `user` (who must exist). */
  clientFor(user: string): Promise<HttpAccessClient>;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestApi(opts: TestApiOptions = {}): Promise<TestApi> {
  const dataDir = mkdtempSync(join(tmpdir(), 'accessbot-api-'));
  const choice = opts.store ?? (process.env.ACCESSBOT_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite');
  const database = choice === 'postgres' ? await createSharedTestDatabase() : undefined;
  const postgresUrl = typeof choice === 'object' ? choice.postgresUrl : database?.url;
  const config = apiConfigSchema.parse({
    listen: '127.0.0.1:0',
    store: postgresUrl
      ? { driver: 'postgres', url: postgresUrl, pool_size: 4 }
      : { path: join(dataDir, 'accessbot.db') },
    data_dir: dataDir,
    ...(opts.expiryInterval ? { expiry_interval: opts.expiryInterval } : {}),
  });
  const api = await startApiServer({
    config,
    log: opts.log ?? createLogger({ level: 'silent' }),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.watchTiming ? { watchTiming: opts.watchTiming } : {}),
    ...(opts.authFailuresPerWindow ? { authFailuresPerWindow: opts.authFailuresPerWindow } : {}),
  });
  const stop = async () => {
    await api.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const adminToken = opts.adminToken ?? readFileSync(api.adminTokenFile, 'utf8').trim();
    const adminClient = new HttpAccessClient({ baseUrl: api.url, token: adminToken });
    if (opts.rolesYaml) await adminClient.applyRolesYaml(opts.rolesYaml);
    for (const user of opts.users ?? []) await adminClient.upsertUser(user);
    return {
      api,
      adminClient,
      dataDir,
      stop,
      async clientFor(user: string) {
        const { token } = await adminClient.issueToken(user, { description: 'test' });
        return new HttpAccessClient({ baseUrl: api.url, token });
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
