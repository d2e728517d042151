// Where the conformance suite's requests live: our access API (the default), or a Teleport
// cluster (the fake auth service) that the host follows through the Teleport source. The
// suite creates requests, reviews them as people and reads them back through this interface
// only, so every plugin test runs unchanged on either.

import { randomUUID } from 'node:crypto';
import { parseDuration } from '../../src/access/duration.js';
import type { AccessRequest } from '../../src/access/types.js';
import { configurePlugins } from '../../src/config/plugin-blocks.js';
import { configSchema, type DeliveryConfigInput, type RouteRule } from '../../src/config/schema.js';
import { type RunningHost, startHost } from '../../src/host/index.js';
import { openTeleportSource } from '../../src/host/source/teleport/index.js';
import { toAccessRequest } from '../../src/host/source/teleport/request-mapping.js';
import { createLogger } from '../../src/log.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { startTestCluster, type TestCluster } from '../fakes/teleport/teleport-cluster.js';
import { freePort, startTestStack, testRedisOptions, waitFor } from '../support/stack.js';
import type { PlatformFake } from './adapter.js';
import { accessUsers, PEOPLE, QUICK_ROLE, ROLES_YAML, SLOW_APPROVALS, SLOW_ROLE } from './world.js';

export type WorldKind = 'api' | 'teleport';

export interface AccessWorld {
  createRequest(user: string, role: string, reason: string, requestTtl?: string): Promise<{ id: string }>;
  review(user: string, id: string, state: 'APPROVED' | 'DENIED', reason: string): Promise<void>;
  /** The request as the access system has it now (an expired Teleport request: EXPIRED). */
  current(id: string): Promise<Pick<AccessRequest, 'state' | 'reviews'>>;
  /** `accessbot request rm` / `tctl request rm`. */
  deleteRequest(id: string): Promise<void>;
  hookUrl(pluginId: string, path?: string): string;
  /** The fake cluster, in the Teleport world (for faults and requests the suite cannot make). */
  teleport?: TestCluster;
  stop(): Promise<void>;
}

export interface WorldOptions {
  fake: PlatformFake;
  pluginId: string;
  definition: PluginDefinition;
  routing: RouteRule[];
  delivery: DeliveryConfigInput;
}

export async function startWorld(kind: WorldKind, o: WorldOptions): Promise<AccessWorld> {
  return kind === 'teleport' ? startTeleportWorld(o) : startApiWorld(o);
}

async function startApiWorld(o: WorldOptions): Promise<AccessWorld> {
  const stack = await startTestStack({
    rolesYaml: ROLES_YAML,
    users: accessUsers(o.fake),
    definitions: new Map([[o.pluginId, o.definition]]),
    plugins: { [o.pluginId]: o.fake.pluginConfig },
    routing: o.routing,
    delivery: o.delivery,
    expiryInterval: '100ms',
  });
  return {
    createRequest: async (user, role, reason, requestTtl) =>
      (await stack.clientFor(user)).createRequest({
        roles: [role],
        reason,
        ...(requestTtl ? { requestTtl } : {}),
      }),
    review: async (user, id, state, reason) => {
      await (await stack.clientFor(user)).submitReview(id, { proposedState: state, reason });
    },
    current: (id) => stack.adminClient.getRequest(id),
    deleteRequest: (id) => stack.adminClient.deleteRequest(id),
    hookUrl: (pluginId, path) => stack.hookUrl(pluginId, path),
    stop: () => stack.stop(),
  };
}

/**
 * The same people and rules as world.ts, in a Teleport cluster: `dba` needs one approval or one
 * denial, `prod-db` three approvals; alice, bob and carol review both; nora may not review;
 * ghost is no Teleport user. Users are local (`name`, email `name@example.com`), and the
 * cluster lets the plugin author reviews for the person.
 */
async function startTeleportWorld(o: WorldOptions): Promise<AccessWorld> {
  const reviewers = [...PEOPLE.reviewers];
  const cluster = await startTestCluster({
    users: [PEOPLE.requester, PEOPLE.teamRequester, ...reviewers, PEOPLE.noRights],
    policies: {
      [QUICK_ROLE]: { reviewers },
      [SLOW_ROLE]: { reviewers, approve: SLOW_APPROVALS },
    },
    reviewForOthers: true,
  });
  const log = createLogger({ level: process.env.ACCESSBOT_TEST_LOG_LEVEL ?? 'silent' });
  let host: RunningHost | undefined;
  let opened: Awaited<ReturnType<typeof openTeleportSource>> | undefined;
  try {
    const port = await freePort();
    const config = configSchema.parse({
      host: {
        listen: `127.0.0.1:${port}`,
        public_url: `http://127.0.0.1:${port}`,
        redis: { prefix: `t${randomUUID().slice(0, 8)}` },
        routing: o.routing,
        delivery: { backoff: '100ms', max_backoff: '2s', ...o.delivery },
        source: 'teleport',
        teleport: {
          address: cluster.auth.address,
          identity_file: cluster.identityFile,
          email_domain: 'example.com',
          timeout: '5s',
          identity_reload_interval: '1s',
        },
      },
      plugins: { [o.pluginId]: o.fake.pluginConfig },
    });
    opened = await openTeleportSource(config.host.teleport!, log);
    host = await startHost({
      config,
      client: opened.source,
      log,
      redis: testRedisOptions(),
      plugins: await configurePlugins(config.plugins, new Map([[o.pluginId, o.definition]])),
    });
  } catch (err) {
    await opened?.close();
    await cluster.stop();
    throw err;
  }
  const running = host;
  const source = opened;
  return {
    async createRequest(user, role, reason, requestTtl) {
      const ttlMs = requestTtl ? parseDuration(requestTtl) : undefined;
      return { id: cluster.auth.createRequest({ user, roles: [role], reason, ...(ttlMs ? { ttlMs } : {}) }) };
    },
    async review(user, id, state, reason) {
      cluster.auth.reviewAsUser(user, id, state, reason);
    },
    async current(id) {
      const stored = cluster.auth.requests.get(id);
      if (stored) return toAccessRequest(stored);
      if (cluster.auth.expired.has(id)) return { state: 'EXPIRED', reviews: [] };
      throw new Error(`the fake cluster has no request ${id}`);
    },
    async deleteRequest(id) {
      cluster.auth.deleteRequest(id);
    },
    hookUrl: (pluginId, path = '/') =>
      `${running.url}/hooks/${pluginId}${path.startsWith('/') ? path : `/${path}`}`,
    teleport: cluster,
    async stop() {
      await running.close();
      await source.close();
      await cluster.stop();
    },
  };
}

export { waitFor };
