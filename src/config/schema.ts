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

/** The shortest `host.redis.request_retention` accepted. */
const MIN_REQUEST_RETENTION_MS = 3_600_000;

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
    /** The longest the expiry sweeper sleeps; it also wakes when the next pending request falls due. */
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

/** A Redis or Sentinel address; IPv6 in brackets (`[::1]:26379`). */
const redisAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):\d{1,5}$/, 'host:port, e.g. sentinel-1:26379');

/** Paths to PEM files (not their content: the key stays in a file the process reads at start). */
export const redisTlsSchema = z
  .object({
    /** CA bundle that signed the servers' certificates; unset: the system's CAs. */
    ca_file: z.string().min(1).optional(),
    /** Client certificate and key, when the servers ask for one (`tls-auth-clients yes`). */
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    /** Name the servers' certificate must carry (SNI and the check), when it differs from the address. */
    servername: z.string().min(1).optional(),
  })
  .strict()
  .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), {
    message: 'cert_file and key_file go together (a client certificate needs its key)',
  });

export const redisConfigSchema = z
  .object({
    /** redis://, rediss:// or unix:///path.sock. Unset: 127.0.0.1:6379, else a private redis-server. */
    url: z.string().optional(),
    /**
     * Redis Sentinel: the sentinels to ask for the current master of `master_name` (instead of
     * `url`). On a failover every connection moves to the new master by itself.
     */
    sentinels: z.array(redisAddress).min(1).max(32).optional(),
    master_name: z.string().min(1).optional(),
    /** The sentinels' own credentials (`requirepass` in sentinel.conf), when they need them. */
    sentinel_username: z.string().min(1).optional(),
    sentinel_password: z.string().min(1).optional(),
    /** Credentials of the Redis servers (ACL user, or `requirepass`); win over ones in `url`. */
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** Database number; wins over one in `url`. */
    db: z.number().int().min(0).max(15).optional(),
    /** TLS to every Redis connection (and to the sentinels). `rediss://` alone uses the system CAs. */
    tls: redisTlsSchema.optional(),
    prefix: z.string().min(1).default('accessbot'),
    /**
     * How long each request's bookkeeping stays in Redis after its last change: where its
     * messages are, which replies, reminders and outcome notices were sent, the latest
     * version seen (~1 KB per request and plugin target). Bounds Redis memory to the
     * requests of this period; must outlast a request's pending life (api.max_request_ttl),
     * or a request still pending could be posted again once its records are gone.
     */
    request_retention: duration
      .refine(
        (ms) => ms >= MIN_REQUEST_RETENTION_MS,
        'at least 1h (a request must keep its records while pending)',
      )
      .prefault('30d'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.sentinels && r.url !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message:
          'set either url (one Redis) or sentinels (Redis Sentinel), not both (REDIS_URL sets url too)',
      });
    }
    if (r.sentinels && !r.master_name) {
      ctx.addIssue({
        code: 'custom',
        path: ['master_name'],
        message: 'sentinels need master_name, the name the sentinels monitor (e.g. mymaster)',
      });
    }
    if (!r.sentinels) {
      for (const key of ['master_name', 'sentinel_username', 'sentinel_password'] as const) {
        if (r[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: `${key} only applies with sentinels` });
        }
      }
    }
  });

/** `host.teleport`: the Teleport cluster the host follows when `host.source` is `teleport`. */
export const teleportSourceSchema = z
  .object({
    /** The auth service (`auth.example.com:3025`), or with `tls_routing` the proxy (`teleport.example.com:443`). */
    address: hostPort,
    /** Identity file from `tctl auth sign --format=file` or tbot; re-read when it changes. */
    identity_file: z.string().min(1),
    /** `address` is a proxy with TLS routing (Teleport Cloud): connect through the ALPN bridge. */
    tls_routing: z.boolean().default(false),
    /** The cluster's name; needed with `tls_routing` (the proxy routes by it). */
    cluster_name: z.string().min(1).optional(),
    /** Deadline of each call (a listing included). */
    timeout: duration.prefault('15s'),
    /** How long a new watch may take to send INIT. */
    init_timeout: duration.prefault('30s'),
    /** How often the identity file is looked at for a renewed certificate. */
    identity_reload_interval: duration.prefault('10s'),
    /**
     * Who authors a review made on a platform: `person` (the cluster must allow the plugin to
     * review for others), `plugin` (the plugin's user, the person named in the reason), or
     * `auto` (person where the cluster allows it, else plugin; `config check` says which).
     */
    review_as: z.enum(['auto', 'person', 'plugin']).default('auto'),
    /** Local users: user `name` has the email `name@<email_domain>`. Unset: user names are emails (SSO). */
    email_domain: z
      .string()
      .regex(/^[^@\s]+\.[^@\s]+$/, 'a domain like example.com')
      .optional(),
  })
  .strict()
  .refine((t) => !t.tls_routing || t.cluster_name, {
    message: 'tls_routing needs cluster_name (the proxy routes to the auth service by it)',
    path: ['cluster_name'],
  });

export const hostConfigSchema = z
  .object({
    /** Where requests come from: our access API (`host.api`) or a Teleport cluster (`host.teleport`). */
    source: z.enum(['api', 'teleport']).default('api'),
    teleport: teleportSourceSchema.optional(),
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
    redis: redisConfigSchema.prefault({}),
    delivery: deliveryConfigSchema.prefault({}),
    /** Nudges in the message threads of plugins that can reply (Slack) while a request waits. */
    reminders: remindersConfigSchema.prefault({}),
    routing: z.array(routeRuleSchema).default([]),
    /** How long a signed inbound call stays valid, both directions (seconds). */
    replay_window_seconds: z.number().int().min(1).max(3600).default(300),
  })
  .strict()
  .refine((h) => h.source !== 'teleport' || h.teleport, {
    message: 'host.source is teleport: add a host.teleport block (address, identity_file)',
    path: ['teleport'],
  });

export const logConfigSchema = z
  .object({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  })
  .strict();

/**
 * `plugins.<id>.auto_approval` of a plugin that offers on-call (traits.onCall): the host's
 * on-call policy (src/host/on-call). Strict, so a misspelt limit (say `max_escalation_levl`) is
 * an error at start rather than a silently unlimited auto-approval.
 */
export const onCallPolicySchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Highest escalation level that counts (1 = first responders). Unset: any level. */
    max_escalation_level: z.number().int().min(1).optional(),
    /** Schedules (ids or names) through which being on call counts. Unset: any, including direct assignment. */
    schedules: z.array(z.string().min(1)).min(1).optional(),
    /** Requested roles that may be auto-approved (literal names or `*` globs). Unset: any. */
    roles: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();
export type OnCallPolicy = z.infer<typeof onCallPolicySchema>;

/** Keys every plugin block may carry, read by the host rather than the plugin. */
export const pluginHostKeysSchema = z.object({
  enabled: z.boolean().default(true),
  /** Access user the plugin's automatic reviews are submitted as. */
  review_as: z.string().min(1).optional(),
  /** Only for plugins that offer on-call (checked by plugin-blocks.ts). */
  auto_approval: onCallPolicySchema.optional(),
});
export const PLUGIN_HOST_KEYS = ['enabled', 'review_as', 'auto_approval'] as const;

export const configSchema = z
  .object({
    api: apiConfigSchema.prefault({}),
    host: hostConfigSchema.prefault({}),
    log: logConfigSchema.prefault({}),
    /** Per plugin id, that plugin's settings (validated by the plugin's own schema). */
    plugins: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    // A request pending for its whole life must still have its records when it is resolved.
    if (config.host.redis.request_retention < config.api.max_request_ttl) {
      ctx.addIssue({
        code: 'custom',
        path: ['host', 'redis', 'request_retention'],
        message: `shorter than api.max_request_ttl (${config.api.max_request_ttl / 3_600_000}h): a request still pending would lose its records and be posted again; raise request_retention or lower max_request_ttl`,
      });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type ApiConfig = z.infer<typeof apiConfigSchema>;
export type StoreConfig = z.infer<typeof storeConfigSchema>;
export type PostgresStoreConfig = z.infer<typeof postgresStoreSchema>;
export type HostConfig = z.infer<typeof hostConfigSchema>;
export type TeleportSourceConfig = z.infer<typeof teleportSourceSchema>;
export type RouteRule = z.infer<typeof routeRuleSchema>;
export type RedisConfig = z.infer<typeof redisConfigSchema>;
export type DeliveryConfig = z.infer<typeof deliveryConfigSchema>;
/** `host.delivery` as written (durations as text), before parsing. */
export type DeliveryConfigInput = z.input<typeof deliveryConfigSchema>;
