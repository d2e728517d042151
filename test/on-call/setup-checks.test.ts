// What an operator learns before the first on-call request: /readyz names a plugin's review_as
// user that does not exist or may not review, and a schedule in auto_approval.schedules the
// provider does not know, each with its config key and fix, and clears once fixed (no restart).
// The config loader refuses auto_approval on a plugin that offers no on-call, and a misspelt
// limit. Real API, host and Redis; the PagerDuty fake stands for any provider.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePluginBlocks } from '../../src/config/plugin-blocks.js';
import { loadPluginDefinitions } from '../../src/config/plugin-discovery.js';
import { worldRolesYaml } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import type { OnCallFake } from './adapter.js';
import { pagerdutyOnCallAdapter } from './pagerduty.adapter.js';

const BOT = 'oncall-bot';

describe('on-call set-up checks in /readyz', () => {
  let fake: OnCallFake;
  let stack: TestStack;

  beforeAll(async () => {
    fake = await pagerdutyOnCallAdapter.startFake([]);
    stack = await startTestStack({
      rolesYaml: worldRolesYaml(
        [
          { name: 'requester', request: { roles: ['dba'] } },
          { name: 'approver', review: ['dba'] },
        ],
        ['dba'],
      ),
      users: [{ name: 'rita', email: 'rita@example.com', roles: ['requester'] }],
      definitions: new Map([['pagerduty', pagerdutyOnCallAdapter.definition]]),
      plugins: {
        pagerduty: {
          ...fake.pluginConfig,
          review_as: BOT,
          auto_approval: { max_escalation_level: 1, schedules: ['No such rota'] },
        },
      },
      tuning: { autoReviewCheckMs: 100 },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await fake?.stop();
  });

  const readyz = async () => {
    const res = await fetch(`${stack.host.url}/readyz`);
    return { status: res.status, ...((await res.json()) as { checks: Record<string, string> }) };
  };
  const checkWith = (text: string) =>
    stack.waitFor(
      async () => {
        const r = await readyz();
        return r.checks['plugin.pagerduty.auto_review']?.includes(text) ? r : undefined;
      },
      10_000,
      `/readyz naming "${text}"`,
    );

  it('names the missing review_as user and the unknown schedule, then each fix clears its part', async () => {
    const missing = await checkWith('does not exist');
    expect(missing.status).toBe(503);
    const check = missing.checks['plugin.pagerduty.auto_review']!;
    expect(check).toContain(`plugins.pagerduty.review_as: access user "${BOT}" does not exist`);
    expect(check).toContain(`accessbot users add ${BOT}`);
    expect(check).toContain(
      'plugins.pagerduty.auto_approval.schedules: PagerDuty has no schedule No such rota',
    );
    // The plugin itself is healthy: only its automatic reviews cannot work.
    expect(missing.checks['plugin.pagerduty']).toBe('ok');

    await stack.adminClient.upsertUser({ name: BOT, roles: ['requester'] });
    expect((await checkWith('has no review rights')).status).toBe(503);

    await stack.adminClient.upsertUser({ name: BOT, roles: ['approver'] });
    const fixed = await stack.waitFor(
      async () => {
        const r = await readyz();
        return r.checks['plugin.pagerduty.auto_review']?.includes('review_as') ? undefined : r;
      },
      10_000,
      'the review_as problem to clear',
    );
    expect(fixed.checks['plugin.pagerduty.auto_review']).toContain('No such rota');
  });
});

describe('auto_approval in the config', () => {
  it('is refused on a plugin that offers no on-call, and with a misspelt limit', async () => {
    const definitions = await loadPluginDefinitions(undefined, ['pagerduty', 'webhook']);
    const pd = { api_key: 'k', from_email: 'bot@example.com' };
    const { issues } = validatePluginBlocks(
      {
        webhook: { url: 'https://hooks.example.com/x', auto_approval: { max_escalation_level: 1 } },
        pagerduty: { ...pd, auto_approval: { max_escalation_levl: 1 } },
      },
      definitions,
    );
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining([
        'plugins.webhook.auto_approval',
        'plugins.pagerduty.auto_approval.max_escalation_levl',
      ]),
    );
    expect(issues.find((i) => i.path === 'plugins.webhook.auto_approval')?.message).toContain(
      'offers no on-call auto-approval',
    );
  });

  it("keeps PagerDuty's block as it was: auto_approval read by the host, defaults unchanged", async () => {
    const definitions = await loadPluginDefinitions(undefined, ['pagerduty']);
    const block = { api_key: 'k', from_email: 'bot@example.com' };
    const bare = validatePluginBlocks({ pagerduty: block }, definitions);
    expect(bare.issues).toEqual([]);
    expect(bare.plugins.get('pagerduty')?.onCall).toEqual({ enabled: true });
    const limited = validatePluginBlocks(
      { pagerduty: { ...block, auto_approval: { max_escalation_level: 2, roles: ['db*'] } } },
      definitions,
    );
    expect(limited.issues).toEqual([]);
    expect(limited.plugins.get('pagerduty')?.onCall).toEqual({
      enabled: true,
      max_escalation_level: 2,
      roles: ['db*'],
    });
  });
});
