// What an operator of the jsm-ops plugin learns from /readyz before the first request: a schedule
// in auto_approval.schedules that JSM Operations does not know is named under the auto_review
// check, while the plugin itself stays healthy. Real API, host and Redis against the fake JSM
// Operations. (What healthCheck says of a refused token or a wrong cloud_id is tested in
// plugins/jsm-ops/jsm-ops.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jsmOpsPlugin from '../../plugins/jsm-ops/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { type FakeJsmOps, startFakeJsmOps } from '../fakes/jsm-ops/server.js';
import { worldRolesYaml } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const UNKNOWN_SCHEDULE = '6d0f1a4c-6a2e-4f55-9d3b-7e8f9a0b1c2d';

describe('jsm-ops set-up in /readyz', () => {
  let ops: FakeJsmOps;
  let stack: TestStack;

  beforeAll(async () => {
    ops = await startFakeJsmOps();
    const known = ops.dir.addSchedule('DB primary');
    stack = await startTestStack({
      rolesYaml: worldRolesYaml(
        [
          { name: 'requester', request: { roles: ['dba'] } },
          { name: 'approver', review: ['dba'] },
        ],
        ['dba'],
      ),
      users: [
        { name: 'rita', email: 'rita@example.com', roles: ['requester'] },
        { name: 'oncall-bot', email: 'oncall-bot@example.com', roles: ['approver'] },
      ],
      definitions: new Map([['jsm-ops', jsmOpsPlugin as unknown as PluginDefinition]]),
      plugins: {
        'jsm-ops': {
          cloud_id: ops.cloudId,
          email: ops.email,
          api_token: ops.apiToken,
          base_url: ops.url,
          review_as: 'oncall-bot',
          auto_approval: { schedules: [known.id, UNKNOWN_SCHEDULE] },
        },
      },
      tuning: { autoReviewCheckMs: 100 },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await ops?.stop();
  });

  it('names the schedule JSM Operations does not know, and only that one', async () => {
    const checks = await stack.waitFor(
      async () => {
        const res = await fetch(`${stack.host.url}/readyz`);
        const body = (await res.json()) as { checks: Record<string, string> };
        return body.checks['plugin.jsm-ops.auto_review']?.includes(UNKNOWN_SCHEDULE)
          ? body.checks
          : undefined;
      },
      10_000,
      '/readyz naming the unknown schedule',
    );
    expect(checks['plugin.jsm-ops.auto_review']).toContain('plugins.jsm-ops.auto_approval.schedules');
    expect(checks['plugin.jsm-ops.auto_review']).not.toContain(ops.dir.schedules[0]!.id);
    expect(checks['plugin.jsm-ops']).toBe('ok');
  });
});
