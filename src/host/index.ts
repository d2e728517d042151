// The plugin host: watcher → router → one BullMQ queue per plugin → plugin; plus the inbound
// server that turns clicks into reviews. Any number of hosts may share one Redis.

import type { RedisOptions, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { type ConfiguredPlugin, configurePlugins } from '../config/plugin-blocks.js';
import type { Config, RouteRule } from '../config/schema.js';
import type { Logger as PinoLogger } from '../log.js';
import { activatePlugins } from './activation/active-plugins.js';
import { DeliveryQueues } from './delivery/delivery-queues.js';
import { startDeliveryWorker } from './delivery/delivery-worker.js';
import { MessageRefs } from './delivery/message-refs.js';
import { PostSteps } from './delivery/post-steps.js';
import { retryPolicyFrom } from './delivery/retry-classifier.js';
import { TARGET_LOCK_TTL_MS, TargetLock } from './delivery/target-lock.js';
import { AuthFailures } from './inbound/auth-failures.js';
import { startInboundServer } from './inbound/inbound-server.js';
import { signInPageOf } from './inbound/sign-in-page.js';
import { createHostMetrics } from './ops/metrics.js';
import { metricsScrape } from './ops/metrics-scrape.js';
import { readiness } from './ops/readiness.js';
import { startPluginPolls } from './polling/plugin-polls.js';
import { startFailFastRedis } from './redis/fail-fast-redis.js';
import { hostKeys } from './redis/keys.js';
import { resolveRedis } from './redis/redis-connection.js';
import { startReminderSweeper, sweepIntervalMs } from './reminders/reminder-sweeper.js';
import type { AccessSource } from './source/access-source.js';
import { Progress } from './stream/progress.js';
import { RequestReader } from './stream/request-reader.js';
import { Watcher } from './stream/watcher.js';

export { type DeliveryRow, listDeliveries, retryDeliveries } from './ops/deliveries-cli.js';
export { type ResolvedRedis, redisOptionsFromUrl, resolveRedis } from './redis/redis-connection.js';

export interface StartHostOptions {
  config: Config;
  client: AccessSource;
  log: PinoLogger;
  /**
   * The enabled plugins with their parsed settings, as the config loader returns them
   * (LoadedConfig.plugins); default: configurePlugins(config.plugins), for a Config built in code.
   */
  plugins?: ReadonlyMap<string, ConfiguredPlugin>;
  /** Redis to use; default: resolveRedis(config). */
  redis?: RedisOptions;
  /**
   * Crash-recovery timings: how long a lock outlives a killed holder (BullMQ's job lock and the
   * target lock, both renewed while the holder lives; default 5 s) and how often BullMQ looks
   * for jobs whose holder died (default 2.5 s); and the window of the inbound server's
   * failed-authentication budget (default 60 s). Tests shorten them.
   */
  tuning?: {
    lockDurationMs?: number;
    stalledIntervalMs?: number;
    inboundFailureWindowMs?: number;
    /** How stale /readyz's check of each plugin's review_as user may get (default 30 s). */
    autoReviewCheckMs?: number;
  };
}

export interface RunningHost {
  url: string;
  port: number;
  /** New routing rules for every request routed from now on (a config reload, SIGHUP). */
  reloadRouting(rules: RouteRule[]): void;
  close(): Promise<void>;
}

function parseListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at) || '0.0.0.0', port: Number(listen.slice(at + 1)) };
}

export async function startHost(opts: StartHostOptions): Promise<RunningHost> {
  const { config, client } = opts;
  const log = opts.log.child({ component: 'host' });
  const resolved = opts.redis
    ? { options: opts.redis, description: 'given by the caller', stop: async () => {} }
    : await resolveRedis(config, log);
  const connection: RedisOptions = { ...resolved.options, maxRetriesPerRequest: null };
  // Auto-pipelining: the commands of concurrent deliveries issued in the same tick go out in
  // one socket write; per-command writes were the largest CPU cost of a delivery (profiled).
  // BullMQ's own connections keep their defaults (one of them blocks).
  const redis = new Redis({ ...connection, enableAutoPipelining: true });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  // For callers who wait (inbound calls, plugin kv, /readyz, /metrics): refuses while Redis is away.
  const fastRedis = await startFailFastRedis(connection);
  const keys = hostKeys(config.host.redis.prefix, config.host.redis.request_retention);
  const metrics = createHostMetrics();
  const reader = new RequestReader(client);
  const refs = new MessageRefs(redis, keys);
  const progress = new Progress(redis, keys);
  const lockDurationMs = opts.tuning?.lockDurationMs ?? TARGET_LOCK_TTL_MS;
  const stalledIntervalMs = opts.tuning?.stalledIntervalMs ?? Math.floor(lockDurationMs / 2);
  const lock = new TargetLock(redis, keys, lockDurationMs);
  const steps = new PostSteps(redis, keys, lock.ttlMs);
  const policy = retryPolicyFrom(config.host.delivery);

  let plugins: Awaited<ReturnType<typeof activatePlugins>>;
  try {
    const configured = opts.plugins ?? (await configurePlugins(config.plugins));
    plugins = await activatePlugins(configured, {
      client,
      redis: fastRedis,
      keys,
      log,
      reader,
      ...(config.host.public_url ? { publicUrl: config.host.public_url } : {}),
      stepUpRoles: config.host.step_up_roles,
      ...(opts.tuning?.autoReviewCheckMs ? { autoReviewCheckMs: opts.tuning.autoReviewCheckMs } : {}),
      onDecision: (plugin, outcome) => metrics.decisions.inc({ plugin, outcome }),
    });
  } catch (err) {
    // A bad plugin config stops the start; leave no Redis connection or private server behind.
    redis.disconnect();
    fastRedis.disconnect();
    await resolved.stop();
    throw err;
  }
  const pluginIds = [...plugins.keys()];
  const routing = { rules: config.host.routing };
  const queues = new DeliveryQueues(pluginIds, connection, keys, policy);
  const reminders = {
    afterMs: config.host.reminders.after,
    everyMs: config.host.reminders.every,
    max: config.host.reminders.max,
  };
  const workers: Worker[] = [...plugins.values()].map((plugin) =>
    startDeliveryWorker({
      plugin,
      api: { client, reader },
      store: { redis, connection, keys },
      targets: { refs, steps, progress, lock },
      jobs: {
        queues,
        policy,
        concurrency: config.host.delivery.concurrency,
        jobLockMs: lockDurationMs,
        stalledIntervalMs,
      },
      routing,
      reminders,
      metrics,
      log,
    }),
  );
  const watcher = new Watcher({ client, progress, queues, reader, pluginIds, log });
  watcher.start();
  // A reconnect may land on a new master that lacks the old one's last writes: route again.
  let redisWasReady = redis.status === 'ready';
  redis.on('ready', () => {
    if (redisWasReady) watcher.reconcileSoon();
    redisWasReady = true;
  });
  const reminderSweeper = startReminderSweeper({
    redis,
    keys,
    queues,
    pluginIds: [...plugins.values()].filter((p) => p.capabilities.reminders).map((p) => p.id),
    enabled: reminders.max > 0,
    intervalMs: sweepIntervalMs(reminders.afterMs),
    log,
  });

  const polls = startPluginPolls({ redis: fastRedis, keys, plugins: plugins.values(), log });

  const routes = new Map([...plugins].map(([id, p]) => [id, p.instance.routes?.() ?? []]));
  const authFailures = new AuthFailures(log, {
    ...(opts.tuning?.inboundFailureWindowMs ? { windowMs: opts.tuning.inboundFailureWindowMs } : {}),
  });
  const signInPage = signInPageOf(plugins.values(), config.host.public_url);
  const server = await startInboundServer(
    {
      routes,
      ...(signInPage ? { signInPage } : {}),
      log,
      authFailures,
      counters: metrics,
      health: () =>
        readiness({ redis: fastRedis, watcherStatus: () => watcher.status(), plugins: plugins.values() }),
      metrics: metricsScrape({
        metrics,
        redis: fastRedis,
        queues,
        client,
        lastSeq: () => watcher.lastSeq,
        watchStalled: () => watcher.stalled,
      }),
    },
    parseListen(config.host.listen),
  );
  log.info({ url: server.url, plugins: pluginIds, redis: resolved.description }, 'plugin host started');

  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    port: server.port,
    reloadRouting(rules) {
      routing.rules = rules;
      log.info({ rules: rules.length }, 'routing reloaded');
    },
    close() {
      closing ??= (async () => {
        await server.app.close();
        authFailures.close();
        await watcher.stop();
        await reminderSweeper.stop();
        await polls.stop();
        // Worker.close waits for jobs in flight, so nothing is cut off half-sent.
        await Promise.all(workers.map((worker) => worker.close()));
        await queues.close();
        lock.close();
        for (const p of plugins.values()) await p.instance.close?.().catch(() => {});
        await redis.quit().catch(() => redis.disconnect());
        fastRedis.disconnect();
        await resolved.stop();
        log.info('plugin host stopped');
      })();
      return closing;
    },
  };
}
