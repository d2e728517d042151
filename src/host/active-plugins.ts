// Turns discovered plugin definitions plus config blocks into running plugin instances.
// A plugin runs when it has a block under `plugins.<id>` and `enabled` is not false; the
// block minus the host's own keys (enabled, review_as) is validated by the plugin's schema.

import type { Redis } from 'ioredis';
import type { AccessClient } from '../api/client-types.js';
import { PLUGIN_HOST_KEYS, pluginHostKeysSchema } from '../config/schema.js';
import { AccessbotError } from '../errors.js';
import type { Logger as PinoLogger } from '../log.js';
import type { PluginContext, PluginDefinition, PluginInstance } from '../plugin-sdk/index.js';
import { submitDecision } from './decide.js';
import type { HostKeys } from './keys.js';
import { redisPluginKv } from './plugin-kv.js';
import type { RequestReader } from './request-reader.js';

export interface ActivePlugin {
  id: string;
  definition: PluginDefinition;
  instance: PluginInstance;
  /** Access user that automatic reviews are authored as. */
  reviewAs: string;
  healthy: boolean;
  lastError?: string;
}

export interface ActivationDeps {
  client: AccessClient;
  redis: Redis;
  keys: HostKeys;
  log: PinoLogger;
  reader: RequestReader;
  publicUrl?: string;
  onDecision?: (pluginId: string, outcome: string) => void;
}

function splitBlock(
  id: string,
  block: unknown,
): { enabled: boolean; reviewAs: string; rest: Record<string, unknown> } {
  if (block === null || typeof block !== 'object' || Array.isArray(block)) {
    throw new AccessbotError('CONFIG_INVALID', `plugins.${id}: expected a mapping of settings`);
  }
  const hostKeys = pluginHostKeysSchema.safeParse(block);
  if (!hostKeys.success) {
    throw new AccessbotError(
      'CONFIG_INVALID',
      `plugins.${id}: ${hostKeys.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const rest: Record<string, unknown> = { ...(block as Record<string, unknown>) };
  for (const key of PLUGIN_HOST_KEYS) delete rest[key];
  return { enabled: hostKeys.data.enabled, reviewAs: hostKeys.data.review_as ?? `accessbot-${id}`, rest };
}

export async function activatePlugins(
  definitions: Map<string, PluginDefinition>,
  blocks: Map<string, unknown>,
  deps: ActivationDeps,
): Promise<Map<string, ActivePlugin>> {
  const active = new Map<string, ActivePlugin>();
  for (const id of blocks.keys()) {
    if (!definitions.has(id)) {
      throw new AccessbotError(
        'PLUGIN_NOT_FOUND',
        `plugins.${id} is configured but there is no plugins/${id} folder`,
      );
    }
  }
  for (const [id, definition] of definitions) {
    if (!blocks.has(id)) continue;
    const { enabled, reviewAs, rest } = splitBlock(id, blocks.get(id));
    if (!enabled) continue;
    const parsed = definition.configSchema.safeParse(rest);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `plugins.${id}.${i.path.join('.')}: ${i.message}`);
      throw new AccessbotError('CONFIG_INVALID', issues.join('; '), { issues });
    }
    const log = deps.log.child({ plugin: id });
    const ctx: PluginContext<unknown> = {
      id,
      config: parsed.data,
      log,
      kv: redisPluginKv(deps.redis, deps.keys.pluginKv(id)),
      ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
      decide: async (decision) => {
        const outcome = await submitDecision(deps.client, decision, log, async (requestId) => {
          const request = await deps.reader.current(requestId);
          return request ? deps.reader.card(request) : null;
        });
        deps.onDecision?.(id, outcome.kind);
        log.info(
          {
            requestId: decision.requestId,
            action: decision.action,
            person: decision.personLabel,
            outcome: outcome.kind,
          },
          'inbound decision',
        );
        return outcome;
      },
      getCard: async (requestId) => {
        const request = await deps.reader.current(requestId);
        return request ? deps.reader.card(request) : null;
      },
      lookupPerson: async (person) => {
        const user = await deps.client.lookupUser(person);
        if (!user) return null;
        return { name: user.name, ...(user.email ? { email: user.email } : {}), traits: user.traits ?? {} };
      },
    };
    const instance = await definition.create(ctx);
    const plugin: ActivePlugin = { id, definition, instance, reviewAs, healthy: true };
    try {
      await instance.healthCheck();
    } catch (err) {
      plugin.healthy = false;
      plugin.lastError = err instanceof Error ? err.message : String(err);
      log.error({ err: plugin.lastError }, 'plugin health check failed; deliveries will be retried');
    }
    active.set(id, plugin);
  }
  return active;
}
