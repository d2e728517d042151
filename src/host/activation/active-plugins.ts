// Turns configured plugins (discovered and validated by the config loader, src/config) into
// running plugin instances: each gets its context (kv, decisions, cards) and a health check.

import type { Redis } from 'ioredis';
import type { AccessClient } from '../../client/types.js';
import type { ConfiguredPlugin } from '../../config/plugin-blocks.js';
import type { OnCallPolicy } from '../../config/schema.js';
import type { Logger as PinoLogger } from '../../log.js';
import {
  capabilitiesOf,
  type PluginCapabilities,
  type PluginContext,
  type PluginDefinition,
  type PluginInstance,
} from '../../plugin-sdk/index.js';
import { type StepUp, submitDecision } from '../inbound/decision-to-review.js';
import { tokenHolderOf } from '../inbound/token-holder.js';
import { AutoReviewReadiness } from '../on-call/readiness-check.js';
import type { HostKeys } from '../redis/keys.js';
import type { RequestReader } from '../stream/request-reader.js';
import { redisPluginKv } from './plugin-kv.js';

export interface ActivePlugin {
  id: string;
  definition: PluginDefinition;
  instance: PluginInstance;
  /** What it can do, from the methods it implements (capabilitiesOf). */
  capabilities: PluginCapabilities;
  /** Access user that automatic reviews are authored as. */
  reviewAs: string;
  /** `auto_approval` of a plugin that offers on-call (its instance has `onCall`). */
  onCall?: OnCallPolicy;
  /** For /readyz: can its automatic reviews work (review_as user, schedules)? */
  autoReviewSetup?: AutoReviewReadiness;
  healthy: boolean;
  lastError?: string;
}

export interface ActivationDeps {
  client: AccessClient;
  /** The fail-fast connection (redis/fail-fast-redis.ts): the plugins' kv serves callers who wait. */
  redis: Redis;
  keys: HostKeys;
  log: PinoLogger;
  reader: RequestReader;
  publicUrl?: string;
  /** host.step_up_roles: approvals of these roles count only from a signed-in page. */
  stepUpRoles?: readonly string[];
  onDecision?: (pluginId: string, outcome: string) => void;
  /** How stale /readyz's review_as check may get (AutoReviewReadiness's default otherwise). */
  autoReviewCheckMs?: number;
}

export async function activatePlugins(
  configured: ReadonlyMap<string, ConfiguredPlugin>,
  deps: ActivationDeps,
): Promise<Map<string, ActivePlugin>> {
  const active = new Map<string, ActivePlugin>();
  const signInPage = [...configured.values()].some(({ definition }) => definition.traits?.signInPage);
  const stepUp: StepUp = {
    roles: new Set(deps.stepUpRoles ?? []),
    ...(deps.publicUrl && signInPage ? { signInUrl: `${deps.publicUrl.replace(/\/+$/, '')}/sign-in` } : {}),
  };
  for (const [id, { definition, settings, reviewAs, onCall }] of configured) {
    const log = deps.log.child({ plugin: id });
    const ctx: PluginContext<unknown> = {
      id,
      config: settings,
      log,
      kv: redisPluginKv(deps.redis, deps.keys.pluginKv(id)),
      ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
      decide: async (decision) => {
        const outcome = await submitDecision(
          deps.client,
          decision,
          log,
          async (requestId) => {
            const request = await deps.reader.current(requestId);
            return request ? deps.reader.card(request) : null;
          },
          stepUp,
        );
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
      tokenHolder: (token) => tokenHolderOf(deps.client, token, (request) => deps.reader.card(request)),
    };
    const instance = await definition.create(ctx);
    const plugin: ActivePlugin = {
      id,
      definition,
      instance,
      capabilities: capabilitiesOf(definition, instance),
      reviewAs,
      ...(onCall ? { onCall } : {}),
      healthy: true,
    };
    if (!!onCall !== !!instance.onCall)
      throw new Error(
        `plugin ${id}: traits.onCall and the instance's onCall provider must come together (one is missing)`,
      );
    const reviews = instance.onCall ? onCall?.enabled === true : typeof instance.autoReview === 'function';
    if (reviews) {
      plugin.autoReviewSetup = new AutoReviewReadiness(
        deps.client,
        {
          pluginId: id,
          reviewAs,
          ...(instance.onCall && onCall ? { onCall: { provider: instance.onCall, policy: onCall } } : {}),
        },
        log,
        deps.autoReviewCheckMs,
      );
      // Bounded: a slow API must not hold the start; /readyz refreshes it later.
      await Promise.race([plugin.autoReviewSetup.refresh(), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
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
