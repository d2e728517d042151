// An API, a signed-webhook receiver and a host identity, with a host the suite starts and
// stops itself (for suites that restart the host; the others use startTestStack).

import { ensureServiceToken } from '../../src/api/server.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { type Config, configSchema } from '../../src/config/schema.js';
import { type RunningHost, startHost } from '../../src/host/index.js';
import { createLogger } from '../../src/log.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { testRedisOptions } from '../support/stack.js';
import { HOST_ROLES, HOST_USERS } from './fixtures.js';

export interface RestartableWorld {
  api: TestApi;
  receiver: Receiver;
  config: Config;
  /** Starts a host (every request goes to the receiver's `/ops`); the caller closes it. */
  startHost(): Promise<RunningHost>;
  stop(): Promise<void>;
}

export async function startRestartableWorld(opts: {
  secret: string;
  prefix: string;
}): Promise<RestartableWorld> {
  const api = await startTestApi({ rolesYaml: HOST_ROLES, users: HOST_USERS });
  const receiver = await startReceiver({ secret: opts.secret });
  const client = new HttpAccessClient({
    baseUrl: api.api.url,
    token: await ensureServiceToken(api.api.store, 'accessbot-host', ['accessbot-plugin']),
  });
  const config = configSchema.parse({
    host: {
      listen: '127.0.0.1:0',
      redis: { prefix: `${opts.prefix}${Date.now()}` },
      routing: [{ roles: ['*'], targets: { webhook: [receiver.urlFor('ops')] } }],
    },
    plugins: { webhook: { secret: opts.secret } },
  });
  return {
    api,
    receiver,
    config,
    startHost: () =>
      startHost({ config, client, log: createLogger({ level: 'silent' }), redis: testRedisOptions() }),
    async stop() {
      await receiver.stop();
      await api.stop();
    },
  };
}
