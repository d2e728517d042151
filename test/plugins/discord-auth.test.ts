// A bot token Discord refuses: the whole stack reports it where an operator looks (/readyz names
// the plugin and the 401), and a request waits for a good token instead of being lost.

import { afterAll, beforeAll, expect, it } from 'vitest';
import discordPlugin from '../../plugins/discord/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { FakeDiscordInteractions } from '../fakes/discord/interactions.js';
import { FakeDiscord } from '../fakes/discord/server.js';
import { DBA_ROLES_YAML } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let fake: FakeDiscord;
let stack: TestStack;

beforeAll(async () => {
  fake = await new FakeDiscord().start();
  fake.addChannel('ops');
  stack = await startTestStack({
    rolesYaml: DBA_ROLES_YAML,
    users: [{ name: 'req', roles: ['requester'] }],
    definitions: new Map([['discord', discordPlugin as unknown as PluginDefinition]]),
    plugins: {
      discord: {
        token: 'a-revoked-token',
        public_key: new FakeDiscordInteractions(fake).publicKeyHex,
        guild_id: fake.guildId,
        api_url: fake.apiUrl,
      },
    },
    routing: [{ roles: ['*'], targets: { discord: ['#ops'] } }],
  });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.stop();
});

it('a 401 fails the plugin in /readyz, naming the refused token, and posts nothing', async () => {
  const readiness = async () => {
    const res = await fetch(`${stack.host.url}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
  };
  const first = await readiness();
  expect(first.status).toBe(503);
  expect(first.body.checks['plugin.discord']).toMatch(/^unhealthy: .*Discord refused the bot token \(401\)/);
  await (await stack.clientFor('req')).createRequest({ roles: ['dba'], reason: 'while the token is bad' });
  // A second refused call reached Discord: @discordjs/rest forgets the token after a 401, and
  // without the plugin setting it again no later call would be sent at all.
  await stack.waitFor(
    () => fake.calls.filter((c) => c.status === 401).length >= 2,
    20_000,
    'a refused call after the start',
  );
  expect(fake.messages).toEqual([]);
  const later = await readiness();
  expect(later.status).toBe(503);
  expect(later.body.checks['plugin.discord']).toMatch(/401/);
});
