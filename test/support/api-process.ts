// Entry for an access API replica in its own process, so fault tests can SIGKILL it for real.
// Everything comes from one env var (JSON), see ApiProcessSpec. Prints `READY <url>` when
// listening; SIGTERM closes gracefully.

import { startApiServer } from '../../src/api/server.js';
import { apiConfigSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';

export interface ApiProcessSpec {
  postgresUrl: string;
  dataDir: string;
  poolSize?: number;
  expiryInterval?: string;
  logLevel?: string;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.ACCESSBOT_API_SPEC ?? '{}') as ApiProcessSpec;
  const api = await startApiServer({
    config: apiConfigSchema.parse({
      listen: '127.0.0.1:0',
      store: { driver: 'postgres', url: spec.postgresUrl, pool_size: spec.poolSize ?? 4 },
      data_dir: spec.dataDir,
      ...(spec.expiryInterval ? { expiry_interval: spec.expiryInterval } : {}),
    }),
    log: createLogger({ level: spec.logLevel ?? 'warn', destination: process.stderr }),
  });
  process.stdout.write(`READY ${api.url}\n`);
  process.once('SIGTERM', () => {
    api.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((err) => {
  process.stderr.write(`api process failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
