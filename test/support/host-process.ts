// Entry for a plugin host in its own process, so fault tests can SIGKILL it for real.
// Everything comes from one env var (JSON), see HostProcessSpec. Prints `READY <url>` when
// listening; SIGTERM closes gracefully (in-flight jobs finish).

import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { configSchema } from '../../src/config/schema.js';
import { startHost } from '../../src/host/index.js';
import { createLogger } from '../../src/log.js';

export interface HostProcessSpec {
  apiUrl: string;
  apiToken: string;
  redisSocket: string;
  prefix: string;
  plugins: Record<string, unknown>;
  routing: unknown[];
  delivery?: Record<string, unknown>;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  logLevel?: string;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.ACCESSBOT_HOST_SPEC ?? '{}') as HostProcessSpec;
  const config = configSchema.parse({
    host: {
      listen: '127.0.0.1:0',
      redis: { prefix: spec.prefix },
      routing: spec.routing,
      delivery: spec.delivery ?? {},
    },
    plugins: spec.plugins,
  });
  const log = createLogger({ level: spec.logLevel ?? 'warn', destination: process.stderr });
  const host = await startHost({
    config,
    client: new HttpAccessClient({ baseUrl: spec.apiUrl, token: spec.apiToken }),
    log,
    redis: { path: spec.redisSocket, maxRetriesPerRequest: null },
    tuning: {
      ...(spec.lockDurationMs ? { lockDurationMs: spec.lockDurationMs } : {}),
      ...(spec.stalledIntervalMs ? { stalledIntervalMs: spec.stalledIntervalMs } : {}),
    },
  });
  process.stdout.write(`READY ${host.url}\n`);
  process.once('SIGTERM', () => {
    host.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((err) => {
  process.stderr.write(`host process failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
