// The email plugin's review page in a real browser: Debian's chromium driven by playwright-core
// through executablePath (no browser download). Mails arrive at a real SMTP server; the page is
// served by the plugin through the host's inbound server; reviews are read back from the API.
// Run on its own: npx vitest run test/browser/

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import emailPlugin from '../../plugins/email/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { type FakeSmtp, startFakeSmtp } from '../fakes/smtp/server.js';
import { DBA_ROLES_YAML, usersWithEmail } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const CHROMIUM = process.env.ACCESSBOT_CHROMIUM ?? '/usr/bin/chromium';
/** Flags that let chromium run as root on a closed network (SDK-NOTES-2 §5). */
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
/** Where to save screenshots of the mail and the page (the README's come from here), if set. */
const SCREENSHOTS = process.env.ACCESSBOT_SCREENSHOTS;
const LINK = /https?:\/\/[^\s"<>]+\/hooks\/email\/review\?t=[A-Za-z0-9_-]{43}/;

let smtp: FakeSmtp;
let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-system.sh`);
  smtp = await startFakeSmtp();
  stack = await startTestStack({
    rolesYaml: DBA_ROLES_YAML,
    users: usersWithEmail({ rita: ['requester'], alice: ['approver'], bob: ['approver'] }),
    definitions: new Map([['email', emailPlugin as unknown as PluginDefinition]]),
    plugins: {
      email: {
        smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' },
        from: 'accessbot@example.com',
      },
    },
    routing: [{ roles: ['*'], targets: { email: ['alice@example.com', 'bob@example.com'] } }],
    expiryInterval: '100ms',
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await smtp?.stop();
});

async function request(reason: string, requestTtl?: string) {
  return (await stack.clientFor('rita')).createRequest({
    roles: ['dba'],
    reason,
    ...(requestTtl ? { requestTtl } : {}),
  });
}

/** The Review link mailed to `address` about `requestId` (waits for the mail). */
async function linkOf(address: string, requestId: string): Promise<string> {
  return stack.waitFor(
    () =>
      smtp.mails
        .filter((m) => m.to === address && m.header('x-accessbot-request') === requestId)
        .map((m) => LINK.exec(m.text)?.[0])
        .find((l) => !!l),
    20_000,
    `a Review link for ${address}`,
  );
}

const reviewsOf = async (id: string) => (await stack.adminClient.getRequest(id)).reviews;

async function openPage(link: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  const res = await page.goto(link);
  expect(res?.headers()['cache-control']).toBe('no-store');
  return page;
}

describe('the review page in chromium', () => {
  it('HEAD and GET decide nothing; typing a reason and clicking Approve is one review by that reviewer; a second POST records nothing', async () => {
    const req = await request('<img src=x onerror=alert(1)> needs the dump');
    const link = await linkOf('alice@example.com', req.id);
    // What a mail scanner does: HEAD, then GET, without following anything further.
    expect((await fetch(link, { method: 'HEAD', redirect: 'manual' })).status).toBe(303);
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(303);
    const page = await openPage(link);
    expect(page.url()).not.toContain('?t=');
    const headers = (await page.request.get(page.url())).headers();
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-robots-tag']).toContain('noindex');
    await expect(page.locator('dd', { hasText: 'needs the dump' }).textContent()).resolves.toContain(
      '<img src=x',
    );
    expect(await page.locator('img').count(), 'the reason is text, not markup').toBe(0);
    expect(await reviewsOf(req.id), 'opening the link decided nothing').toEqual([]);

    // A second tab of the same person, its form loaded before the first decision.
    const second = await page.context().newPage();
    await second.goto(page.url());
    await page.fill('#reason', 'checked with the on-call DBA');
    await page.click('button.approve');
    await expect(page.locator('#notice').textContent()).resolves.toContain('recorded as alice');
    const reviews = await reviewsOf(req.id);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({
      author: 'alice',
      proposedState: 'APPROVED',
      reason: 'checked with the on-call DBA',
    });

    await second.click('button.deny');
    await expect(second.locator('h1').textContent()).resolves.toMatch(/already answered|APPROVED/);
    expect(await second.locator('form').count()).toBe(0);
    expect(await reviewsOf(req.id)).toHaveLength(1);
    await page.context().close();
  });

  it('a forged CSRF token, a used link opened by someone else, and an expired link record nothing and say why', async () => {
    const req = await request('forgery and reuse');
    const page = await openPage(await linkOf('bob@example.com', req.id));
    await page.locator('input[name=_csrf]').evaluate((input) => {
      (input as { value: string }).value = 'forged-csrf-token';
    });
    await page.click('button.approve');
    await expect(page.locator('h1').textContent()).resolves.toContain('could not be accepted');
    expect(await reviewsOf(req.id)).toEqual([]);

    // Alice decides with her link; the same link, forwarded and opened elsewhere, offers nothing.
    const aliceLink = await linkOf('alice@example.com', req.id);
    const alice = await openPage(aliceLink);
    await alice.click('button.deny');
    await expect(alice.locator('#notice').textContent()).resolves.toContain('recorded as alice');
    const forwarded = await openPage(aliceLink);
    await expect(forwarded.locator('h1').textContent()).resolves.toContain('already answered');
    expect(await forwarded.locator('form').count()).toBe(0);
    expect(await reviewsOf(req.id)).toHaveLength(1);

    const shortLived = await request('left to expire', '3s');
    const expiring = await linkOf('bob@example.com', shortLived.id);
    await stack.waitFor(
      async () => (await stack.adminClient.getRequest(shortLived.id)).state === 'EXPIRED',
      20_000,
      'the request to expire',
    );
    const expired = await openPage(expiring);
    await expect(expired.locator('h1').textContent()).resolves.toContain('expired');
    expect(await expired.locator('form').count()).toBe(0);
    expect(await reviewsOf(shortLived.id)).toEqual([]);
    for (const p of [page, alice, forwarded, expired]) await p.context().close();
  });

  it('two links of one reviewer open in two tabs: each form decides its own request', async () => {
    const first = await request('first of two open tabs');
    const second = await request('second of two open tabs');
    const context = await browser.newContext();
    const tabOne = await context.newPage();
    await tabOne.goto(await linkOf('alice@example.com', first.id));
    const tabTwo = await context.newPage();
    await tabTwo.goto(await linkOf('alice@example.com', second.id));
    await tabOne.click('button.approve');
    await expect(tabOne.locator('#notice').textContent()).resolves.toContain(
      `approval of request ${first.id} was recorded as alice`,
    );
    await tabTwo.click('button.deny');
    await expect(tabTwo.locator('#notice').textContent()).resolves.toContain(
      `denial of request ${second.id} was recorded as alice`,
    );
    expect((await stack.adminClient.getRequest(first.id)).state).toBe('APPROVED');
    expect((await stack.adminClient.getRequest(second.id)).state).toBe('DENIED');
    await context.close();
  });

  it('reads on a phone: nothing wider than the screen, buttons a thumb can hit', async () => {
    const req = await request('a phone-sized review: rotate the replication credentials before the audit');
    const link = await linkOf('alice@example.com', req.id);
    const context = await browser.newContext({
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
    });
    const page = await context.newPage();
    await page.goto(link);
    // A string: the test's tsconfig has no DOM types; it runs in the page.
    const widths = (await page.evaluate(
      '({ page: document.documentElement.scrollWidth, screen: window.innerWidth })',
    )) as { page: number; screen: number };
    expect(widths.page).toBeLessThanOrEqual(widths.screen);
    const button = await page.locator('button.approve').boundingBox();
    expect(button?.height ?? 0).toBeGreaterThanOrEqual(44);
    if (SCREENSHOTS) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'review-page.png'), fullPage: true });
      const mail = smtp.mails.find(
        (m) => m.to === 'alice@example.com' && m.header('x-accessbot-request') === req.id,
      );
      const mailPage = await (await browser.newContext({ viewport: { width: 640, height: 480 } })).newPage();
      await mailPage.setContent(mail!.html);
      await mailPage.screenshot({ path: join(SCREENSHOTS, 'mail.png'), fullPage: true });
      await mailPage.context().close();
    }
    await context.close();
  });
});

describe('signing in on the review page in chromium', () => {
  it('a reviewer pastes an API token, sees the request in their list, opens it and approves: one review as them', async () => {
    const req = await request('signed-in review from the list');
    const { token } = await stack.adminClient.issueToken('bob', { description: 'browser test' });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${stack.host.url}/sign-in`);
    expect(page.url()).toContain('/hooks/email/sign-in');
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    expect(page.url()).toContain('/hooks/email/requests');
    await expect(page.locator('.who').textContent()).resolves.toContain('Signed in as bob');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'accessbot_session');
    expect(session?.httpOnly).toBe(true);
    await page.click(`a[href$="?r=${req.id}"]`);
    await expect(page.locator('dd', { hasText: 'signed-in review' }).count()).resolves.toBe(1);
    expect(await reviewsOf(req.id), 'signing in and opening the page decided nothing').toEqual([]);
    await page.fill('#reason', 'approved after signing in');
    await page.click('button.approve');
    await expect(page.locator('#notice').textContent()).resolves.toContain('recorded as bob');
    const reviews = await reviewsOf(req.id);
    expect(reviews.map((r) => [r.author, r.proposedState, r.reason])).toEqual([
      ['bob', 'APPROVED', 'approved after signing in'],
    ]);
    await page.context().close();
  });
});
