// Step-up in real Chromium (Debian's chromium through playwright-core): `prod-db` is in
// host.step_up_roles, so a reviewer's mailed Review link alone cannot approve it. The page says
// so and leads to sign-in; signed in with a one-time login link (`accessbot users login-link`),
// the same reviewer approves the request from their list: one review.
// Run on its own: npx vitest run test/browser/

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import emailPlugin from '../../plugins/email/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { runCli } from '../cli/cli-runner.js';
import { type FakeSmtp, startFakeSmtp } from '../fakes/smtp/server.js';
import { dbaAndProdRolesYaml, usersWithEmail } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const CHROMIUM = process.env.ACCESSBOT_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const LINK = /https?:\/\/[^\s"<>]+\/hooks\/email\/review\?t=[A-Za-z0-9_-]{43}/;

let smtp: FakeSmtp;
let stack: TestStack;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-system.sh`);
  smtp = await startFakeSmtp();
  stack = await startTestStack({
    rolesYaml: dbaAndProdRolesYaml(),
    users: usersWithEmail({ tom: ['prod-requester'], alice: ['approver'] }),
    definitions: new Map([['email', emailPlugin as unknown as PluginDefinition]]),
    plugins: {
      email: {
        smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' },
        from: 'accessbot@example.com',
      },
    },
    routing: [{ roles: ['*'], targets: { email: ['alice@example.com'] } }],
    stepUpRoles: ['prod-db'],
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  dir = mkdtempSync(join(tmpdir(), 'accessbot-step-up-'));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await smtp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const reviewsOf = async (id: string) =>
  (await stack.adminClient.getRequest(id)).reviews.map((r) => [r.author, r.proposedState, r.reason]);

describe('step-up roles in chromium', () => {
  it('the mailed link cannot approve a step-up role; after signing in with a login link, the same reviewer approves once', async () => {
    const req = await (await stack.clientFor('tom')).createRequest({
      roles: ['prod-db'],
      reason: 'failover drill',
    });
    const link = await stack.waitFor(
      () =>
        smtp.mails
          .filter((m) => m.to === 'alice@example.com' && m.header('x-accessbot-request') === req.id)
          .map((m) => LINK.exec(m.text)?.[0])
          .find((l) => !!l),
      20_000,
      'the Review link mailed to alice',
    );
    const page = await (await browser.newContext()).newPage();
    await page.goto(link);
    await page.click('button.approve');
    await expect(page.locator('h1').textContent()).resolves.toBe('Sign in to approve this request');
    await expect(page.locator('#notice').textContent()).resolves.toContain(`${stack.host.url}/sign-in`);
    expect(await reviewsOf(req.id), 'the link alone approved nothing').toEqual([]);

    const configFile = join(dir, 'accessbot.yaml');
    writeFileSync(configFile, `host:\n  public_url: ${stack.host.url}\n`);
    const cli = await runCli(
      ['--api', stack.api.url, '--config', configFile, 'users', 'login-link', 'alice'],
      {
        env: { ACCESSBOT_TOKEN_FILE: stack.api.adminTokenFile },
        cwd: dir,
      },
    );
    expect(cli.code).toBe(0);
    await page.goto(cli.stdout.trim());
    expect(page.url(), 'the token left the address bar').not.toContain('?t=');
    await page.click('button[type=submit]');
    await expect(page.locator('.who').textContent()).resolves.toContain('Signed in as alice');
    await page.click(`a[href$="?r=${req.id}"]`);
    await page.fill('#reason', 'drill approved signed in');
    await page.click('button.approve');
    await expect(page.locator('#notice').textContent()).resolves.toContain('recorded as alice');
    expect(await reviewsOf(req.id)).toEqual([['alice', 'APPROVED', 'drill approved signed in']]);
  });
});
