// The whole configuration file, validated once at start. Secrets arrive already resolved
// (`${ENV}` and `file:/path` are expanded by the loader before validation).
// Each plugin's own block under `plugins.<id>` is validated by that plugin's schema.

import { z } from 'zod';
import { parseDuration } from '../access/duration.js';

/**
 * A duration as written in the file (`30s`, `15m`, `24h`, `1h30m`), or a number of
 * milliseconds; the parsed config holds milliseconds, so no reader parses it again.
 */
const duration = z.union([
  z.number().int().min(0),
  z
    .string()
    .regex(/^(\d+(\.\d+)?(ms|s|m|h|d))+$/, 'a duration like 30s, 15m, 24h or 1h30m')
    .transform((text) => parseDuration(text)),
]);

const hostPort = z.string().regex(/^[^:\s]+:\d{1,5}$|^:\d{1,5}$/, 'host:port, e.g. 127.0.0.1:3080');

const sqliteStoreSchema = z
  .object({
    driver: z.literal('sqlite'),
    /** SQLite file; its folder is created when missing. */
    path: z.string().min(1).default('./data/accessbot.db'),
  })
  .strict();

/** TLS to PostgreSQL; PEM text (or `file:/path`, expanded by the loader). */
const postgresTlsSchema = z
  .object({
    /** CA bundle that signed the server certificate (default: the system's CAs). */
    ca: z.string().min(1).optional(),
    /** Client certificate and key, for servers that require them. */
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    /** Name checked against the server certificate (default: the URL's host). */
    servername: z.string().min(1).optional(),
    /** false accepts any server certificate: only for a first test, never in production. */
    reject_unauthorized: z.boolean().default(true),
  })
  .strict();

const postgresStoreSchema = z
  .object({
    driver: z.literal('postgres'),
    /**
     * postgres://user:password@host:5432/db (or `${ENV}` / `file:/path`); a secret, never logged.
     * A unix socket: postgres://user@/db?host=/var/run/postgresql.
     */
    url: z
      .string()
      .min(1)
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL'),
    /** Connections per API replica (the live-watch listener and the singleton lock take one more each). */
    pool_size: z.number().int().min(1).max(1000).default(10),
    /** Longest any one statement may run before the server cancels it (503 STORE_UNAVAILABLE). */
    statement_timeout: duration.prefault('30s'),
    /** How long to wait for a connection (from the pool, or a new one) before 503 STORE_UNAVAILABLE. */
    connect_timeout: duration.prefault('5s'),
    tls: postgresTlsSchema.optional(),
  })
  .strict();

/**
 * `api.store`: SQLite (one API process, the default) or PostgreSQL (several API replicas over
 * one database). A block without `driver` is PostgreSQL when it has a `url`
 * (ACCESSBOT_DATABASE_URL alone is enough), else SQLite, as before drivers existed.
 */
export const storeConfigSchema = z.preprocess(
  (value) =>
    value && typeof value === 'object' && !Array.isArray(value) && !('driver' in value)
      ? { ...value, driver: 'url' in value ? 'postgres' : 'sqlite' }
      : value,
  z.discriminatedUnion('driver', [sqliteStoreSchema, postgresStoreSchema]),
);

export const apiConfigSchema = z
  .object({
    /** Where `accessbot serve|api` listens. */
    listen: hostPort.default('127.0.0.1:3080'),
    store: storeConfigSchema.prefault({}),
    /** Folder for the bootstrap admin token and other local state. */
    data_dir: z.string().min(1).default('./data'),
    /** Pending TTL when a requester gives none, and the most they may ask for. */
    request_ttl: duration.prefault('24h'),
    max_request_ttl: duration.prefault('7d'),
    /** How often pending requests are checked for expiry. */
    expiry_interval: duration.prefault('5s'),
    /**
     * How long the watch log keeps events (pruned hourly). A watcher whose cursor is older gets
     * CURSOR_EXPIRED and starts over from the latest event (the host then reconciles).
     */
    event_retention: duration.prefault('30d'),
    /** Roles applied at start (YAML, one or more `kind: role` documents). */
    roles_file: z.string().optional(),
  })
  .strict();

export const routeRuleSchema = z
  .object({
    /** Role globs this rule matches (`dba`, `dev-*`, `*`). A request matches when any of its roles does. */
    roles: z.array(z.string().min(1)).min(1),
    /** Per plugin id: raw recipients the plugin resolves (channels, emails, project keys, URLs). */
    targets: z.record(z.string(), z.array(z.string().min(1)).min(1)),
  })
  .strict();

export const deliveryConfigSchema = z
  .object({
    attempts: z.number().int().min(1).max(100).default(12),
    /** First retry delay; doubles each attempt, with jitter, up to max_backoff. */
    backoff: duration.prefault('1s'),
    max_backoff: duration.prefault('5m'),
    concurrency: z.number().int().min(1).max(256).default(16),
  })
  .strict();

export const remindersConfigSchema = z
  .object({
    /** How long a request may wait for a review before its threads get a reminder. */
    after: duration.prefault('1h'),
    /** Between further reminders. */
    every: duration.prefault('4h'),
    /** Reminders per request (0 = none). */
    max: z.number().int().min(0).max(20).default(1),
  })
  .strict();

/** host.step_up_roles: a short list of sensitive role names. */
export const MAX_STEP_UP_ROLES = 100;
const MAX_STEP_UP_ROLE_LENGTH = 128;

export const hostConfigSchema = z
  .object({
    /** Inbound hooks, health and metrics. */
    listen: hostPort.default('127.0.0.1:3081'),
    /** Public base URL of the inbound server, for callback links. */
    public_url: z.url().optional(),
    /**
     * Roles whose approval needs a reviewer signed in on the review page: a chat button or a
     * mailed link alone is refused (`step_up`), with the page's address. Denials stay one click.
     */
    step_up_roles: z.array(z.string().min(1).max(MAX_STEP_UP_ROLE_LENGTH)).max(MAX_STEP_UP_ROLES).default([]),
    api: z
      .object({
        /** Access API base URL; `serve` fills it in with its own. */
        url: z.url().optional(),
        /** Bearer token of the host's identity (needs review_as on access_request). */
        token: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        /** redis://, rediss:// or unix:///path.sock. Unset: 127.0.0.1:6379, else a private redis-server. */
        url: z.string().optional(),
        prefix: z.string().min(1).default('accessbot'),
      })
      .strict()
      .prefault({}),
    delivery: deliveryConfigSchema.prefault({}),
    /** Nudges in the message threads of plugins that can reply (Slack) while a request waits. */
    reminders: remindersConfigSchema.prefault({}),
    routing: z.array(routeRuleSchema).default([]),
    /** How long a signed inbound call stays valid, both directions (seconds). */
    replay_window_seconds: z.number().int().min(1).max(3600).default(300),
  })
  .strict();

export const logConfigSchema = z
  .object({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  })
  .strict();

/** Keys every plugin block may carry, read by the host rather than the plugin. */
export const pluginHostKeysSchema = z.object({
  enabled: z.boolean().default(true),
  /** Access user the plugin's automatic reviews are submitted as. */
  review_as: z.string().min(1).optional(),
});
export const PLUGIN_HOST_KEYS = ['enabled', 'review_as'] as const;

export const configSchema = z
  .object({
    api: apiConfigSchema.prefault({}),
    host: hostConfigSchema.prefault({}),
    log: logConfigSchema.prefault({}),
    /** Per plugin id, that plugin's settings (validated by the plugin's own schema). */
    plugins: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ApiConfig = z.infer<typeof apiConfigSchema>;
export type StoreConfig = z.infer<typeof storeConfigSchema>;
export type PostgresStoreConfig = z.infer<typeof postgresStoreSchema>;
export type HostConfig = z.infer<typeof hostConfigSchema>;
export type RouteRule = z.infer<typeof routeRuleSchema>;
export type DeliveryConfig = z.infer<typeof deliveryConfigSchema>;
/** `host.delivery` as written (durations as text), before parsing. */
export type DeliveryConfigInput = z.input<typeof deliveryConfigSchema>;
