// The jsm-ops README's config blocks are what the config loader accepts: each validates with no
// issue, the on-call one hands its auto_approval to the host's policy, and a credential of the
// other flavor is refused by name.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validatePluginBlocks } from '../../src/config/plugin-blocks.js';
import { loadPluginDefinitions } from '../../src/config/plugin-discovery.js';

const README = new URL('../../plugins/jsm-ops/README.md', import.meta.url);

function documentedBlocks(): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [];
  for (const match of readFileSync(README, 'utf8').matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
    for (const doc of parseAllDocuments(match[1]!)) {
      const block = (doc.toJS() as { plugins?: Record<string, unknown> } | null)?.plugins?.['jsm-ops'];
      if (block && typeof block === 'object') blocks.push(block as Record<string, unknown>);
    }
  }
  return blocks;
}

describe('jsm-ops config blocks', () => {
  it('every block in the README validates; auto_approval goes to the host policy', async () => {
    const definitions = await loadPluginDefinitions(undefined, ['jsm-ops']);
    const blocks = documentedBlocks();
    expect(blocks.length).toBe(3);
    // The on-call example elides its credentials ("as above"): it gets the first block's.
    for (const full of [blocks[0], blocks[1], { ...blocks[0], ...blocks[2] }]) {
      const { issues, plugins } = validatePluginBlocks({ 'jsm-ops': full }, definitions);
      expect(issues).toEqual([]);
      expect(plugins.get('jsm-ops')?.onCall?.enabled).toBe(true);
    }
    const onCall = validatePluginBlocks({ 'jsm-ops': { ...blocks[0], ...blocks[2] } }, definitions);
    expect(onCall.plugins.get('jsm-ops')?.onCall).toMatchObject({
      schedules: ['DB primary'],
      roles: ['dba', 'dev-*'],
    });
  });

  it('names a credential of the other flavor and a misspelt limit', async () => {
    const definitions = await loadPluginDefinitions(undefined, ['jsm-ops']);
    const { issues } = validatePluginBlocks(
      {
        'jsm-ops': {
          flavor: 'opsgenie',
          api_key: 'k',
          api_token: 't',
          auto_approval: { schedule: ['x'] },
        },
      },
      definitions,
    );
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['plugins.jsm-ops.api_token', 'plugins.jsm-ops.auto_approval.schedule']),
    );
  });
});
