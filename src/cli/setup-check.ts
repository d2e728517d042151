// `accessbot config check --online`: contacts the API and each enabled plugin's platform and
// lists, per place, what would go wrong at the first real request. Read-only: plugins are
// created with a context that cannot decide or store anything lasting, and asked only for
// healthCheck, their optional checkSetup and the resolution of their routing targets. The
// plugins are never named here; what is wrong with a platform is the plugin's to say.

import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { AccessClient } from '../client/types.js';
import type { LoadedConfig } from '../config/index.js';
import { loadPluginDefinitions } from '../config/plugin-discovery.js';
import type { RedisConfig } from '../config/schema.js';
import { AccessbotError } from '../errors.js';
import { autoReviewProblems } from '../host/on-call/readiness-check.js';
import { reviewAsStatus } from '../host/on-call/review-as-check.js';
import { redisIsConfigured, redisOptionsFromConfig } from '../host/redis/redis-options.js';
import { createLogger } from '../log.js';
import type { PluginContext, PluginInstance, PluginKv } from '../plugin-sdk/index.js';

export interface OnlineProblem {
  /** Config path the problem belongs to (`plugins.jira`, `host.routing[0].targets.slack`, `api`). */
  path: string;
  message: string;
}

export interface OnlineReport {
  /** What was checked and found fine, one line each (`api http://… (as admin)`, `plugin slack`). */
  ok: string[];
  problems: OnlineProblem[];
  /** The API could not be reached at all (exit code 3 when nothing else is wrong). */
  apiUnreachable: boolean;
}

/** A kv that forgets everything: checks must leave nothing behind in the host's Redis. */
function scratchKv(): PluginKv {
  const values = new Map<string, string>();
  return {
    get: async (key) => values.get(key) ?? null,
    set: async (key, value) => void values.set(key, value),
    setIfAbsent: async (key, value) => {
      if (values.has(key)) return false;
      values.set(key, value);
      return true;
    },
    delete: async (key) => void values.delete(key),
  };
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** How long one plugin's checks may take in all (each platform call has its own timeout too). */
export const PLUGIN_CHECK_TIMEOUT_MS = 60_000;

/** `work`, or a rejection naming `what` once `ms` have passed (a hung platform must not hang the check). */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkApi(client: AccessClient, url: string, report: OnlineReport): Promise<boolean> {
  try {
    const me = await client.whoami();
    report.ok.push(`api ${url} (as ${me.user.name})`);
    return true;
  } catch (err) {
    report.apiUnreachable = !(err instanceof AccessbotError) || err.code === 'API_UNAVAILABLE';
    const message = messageOf(err);
    report.problems.push({ path: 'api', message: message.includes(url) ? message : `${url}: ${message}` });
    return false;
  }
}

/** How long the Redis check waits for a connection and an answer to PING. */
const REDIS_CHECK_TIMEOUT_MS = 5000;

/** `host.redis` (url or sentinels), when set, answers PING (unset: the host finds or starts one itself). */
async function checkRedis(config: RedisConfig, report: OnlineReport): Promise<void> {
  if (!redisIsConfigured(config)) return;
  let options: RedisOptions;
  try {
    options = redisOptionsFromConfig(config).options;
  } catch (err) {
    report.problems.push({ path: 'host.redis', message: messageOf(err) });
    return;
  }
  const redis = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: REDIS_CHECK_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    report.ok.push('redis');
  } catch (err) {
    report.problems.push({
      path: config.sentinels ? 'host.redis.sentinels' : 'host.redis.url',
      message: `Redis does not answer: ${messageOf(err)}`,
    });
  } finally {
    redis.disconnect();
  }
}

/**
 * The user a plugin's automatic reviews are authored as (`review_as`, explicit or the default
 * `accessbot-<id>` of a plugin that reviews by itself) must exist and may review; the schedules
 * `auto_approval.schedules` names must exist on the provider.
 */
async function checkAutoReviews(
  client: AccessClient,
  id: string,
  instance: PluginInstance,
  loaded: LoadedConfig,
  report: OnlineReport,
): Promise<void> {
  const configured = loaded.plugins.get(id);
  if (!configured) return;
  const explicit =
    typeof (loaded.config.plugins[id] as { review_as?: unknown } | undefined)?.review_as === 'string';
  const reviews = instance.onCall
    ? configured.onCall?.enabled === true
    : typeof instance.autoReview === 'function';
  if (!explicit && !reviews) return;
  const path = `plugins.${id}.review_as`;
  const status = await reviewAsStatus(client, configured.reviewAs);
  if (status.ok === false) report.problems.push({ path, message: status.problem });
  if (status.ok === 'unknown')
    report.problems.push({ path, message: `${status.why} (run the check with the admin token)` });
  if (!reviews || !instance.onCall || !configured.onCall) return;
  const problems = await autoReviewProblems(
    client,
    {
      pluginId: id,
      reviewAs: configured.reviewAs,
      onCall: { provider: instance.onCall, policy: configured.onCall },
    },
    { reviewAs: false },
  );
  report.problems.push(...problems);
}

async function checkPlugin(
  id: string,
  instance: PluginInstance,
  loaded: LoadedConfig,
  report: OnlineReport,
): Promise<void> {
  const before = report.problems.length;
  try {
    await instance.healthCheck();
  } catch (err) {
    report.problems.push({ path: `plugins.${id}`, message: messageOf(err) });
  }
  try {
    for (const found of (await instance.checkSetup?.()) ?? [])
      report.problems.push({
        path: `plugins.${id}`,
        message: found.fix ? `${found.problem} (${found.fix})` : found.problem,
      });
  } catch (err) {
    report.problems.push({ path: `plugins.${id}`, message: `set-up check failed: ${messageOf(err)}` });
  }
  for (const [index, rule] of loaded.config.host.routing.entries()) {
    for (const raw of rule.targets[id] ?? []) {
      try {
        await instance.resolveRecipient(raw, 'reviewer');
      } catch (err) {
        report.problems.push({
          path: `host.routing[${index}].targets.${id}`,
          message: `"${raw}" does not resolve: ${messageOf(err)}`,
        });
      }
    }
  }
  if (report.problems.length === before) report.ok.push(`plugin ${id}`);
}

export async function checkOnline(
  loaded: LoadedConfig,
  api: { url: string; client: AccessClient } | undefined,
): Promise<OnlineReport> {
  const report: OnlineReport = { ok: [], problems: [], apiUnreachable: false };
  const teleport = loaded.config.host.source === 'teleport' ? loaded.config.host.teleport : undefined;
  // With a Teleport source the host talks to the cluster, not to our API.
  const apiUp = teleport
    ? (await (await import('./teleport-check.js')).checkTeleport(teleport, report)) && false
    : api
      ? await checkApi(api.client, api.url, report)
      : false;
  await checkRedis(loaded.config.host.redis, report);
  const ids = [...loaded.pluginConfigs.keys()];
  const definitions = await loadPluginDefinitions(undefined, ids);
  const log = createLogger({ level: 'silent' });
  for (const id of ids) {
    const definition = definitions.get(id);
    if (!definition) continue;
    const ctx: PluginContext<unknown> = {
      id,
      config: loaded.pluginConfigs.get(id),
      log: log.child({ plugin: id }),
      kv: scratchKv(),
      ...(loaded.config.host.public_url ? { publicUrl: loaded.config.host.public_url } : {}),
      decide: async () => ({ kind: 'error', message: 'config check decides nothing' }),
      getCard: async () => null,
    };
    let instance: PluginInstance;
    try {
      instance = await within(
        PLUGIN_CHECK_TIMEOUT_MS,
        'starting the plugin',
        Promise.resolve(definition.create(ctx)),
      );
    } catch (err) {
      report.problems.push({ path: `plugins.${id}`, message: `cannot start: ${messageOf(err)}` });
      continue;
    }
    try {
      await within(PLUGIN_CHECK_TIMEOUT_MS, 'the checks', checkPlugin(id, instance, loaded, report));
      if (apiUp && api)
        await within(
          PLUGIN_CHECK_TIMEOUT_MS,
          'the automatic review checks',
          checkAutoReviews(api.client, id, instance, loaded, report),
        );
    } catch (err) {
      report.problems.push({ path: `plugins.${id}`, message: messageOf(err) });
    } finally {
      await instance.close?.().catch(() => undefined);
    }
  }
  return report;
}
