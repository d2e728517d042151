// The plugin host, loaded at run time so `serve` still runs the API alone in a build without
// it (and the CLI's other commands never pay for loading BullMQ and the plugins).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AccessClient } from '../api/client-types.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';

export interface RunningHost {
  url: string;
  close(): Promise<void>;
}

export interface HostModule {
  startHost(opts: { config: Config; client: AccessClient; log: Logger }): Promise<RunningHost>;
}

const HOST_ENTRY = new URL('../host/index.js', import.meta.url);

/** The host module, or undefined when this build has none (compiled .js, or .ts under tsx). */
export async function loadHostModule(): Promise<HostModule | undefined> {
  const file = fileURLToPath(HOST_ENTRY);
  if (!existsSync(file) && !existsSync(file.replace(/\.js$/, '.ts'))) return undefined;
  const mod = (await import(HOST_ENTRY.href)) as Partial<HostModule>;
  return typeof mod.startHost === 'function' ? (mod as HostModule) : undefined;
}
