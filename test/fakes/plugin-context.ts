// The pieces every hand-built PluginContext in plugin-level tests shares: an in-memory kv with
// the host's set-if-absent semantics, loggers that stay quiet or keep what they were told, and
// the context object itself. Each plugin's fake adds its own stand-in for the host's decide.

import type { Logger, PluginContext, PluginKv } from '../../src/plugin-sdk/index.js';

export class MemoryKv implements PluginKv {
  readonly data = new Map<string, string>();
  async get(key: string) {
    return this.data.get(key) ?? null;
  }
  async set(key: string, value: string) {
    this.data.set(key, value);
  }
  async setIfAbsent(key: string, value: string) {
    if (this.data.has(key)) return false;
    this.data.set(key, value);
    return true;
  }
  async delete(key: string) {
    this.data.delete(key);
  }
}

export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A Logger that hands every call, with its level, to `write`. */
export function loggerTo(write: (level: string, obj: object | string, msg?: string) => void): Logger {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void =>
      write(level, obj, msg);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A context from its parts; `kv` and `log` default to a fresh MemoryKv and silence. */
export function testPluginContext<C>(
  id: string,
  config: C,
  parts: Pick<PluginContext<C>, 'decide' | 'getCard'> & Partial<Pick<PluginContext<C>, 'kv' | 'log'>>,
): PluginContext<C> {
  return {
    id,
    config,
    log: parts.log ?? silentLog,
    kv: parts.kv ?? new MemoryKv(),
    decide: parts.decide,
    getCard: parts.getCard,
  };
}

let deliveryCounter = 0;

/**
 * The delivery context of a first try, as the host gives it: a fresh delivery id, attempt 1,
 * nothing sent before. Plugin-level tests that do not study retries pass this.
 */
export function firstTry(deliveryId = `test-delivery-${++deliveryCounter}`): {
  deliveryId: string;
  attempt: number;
  mayHaveBeenSent: boolean;
} {
  return { deliveryId, attempt: 1, mayHaveBeenSent: false };
}
