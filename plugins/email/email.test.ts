// The email plugin through the whole stack (real API, host, Redis) against a real SMTP server
// on 127.0.0.1, reading what arrived with mailparser: routing, threading, escaping, the
// requester's outcome mail, SMTP failures, and a burst of concurrent requests.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listDeliveries } from '../../src/host/index.js';
import { type PluginDefinition, PluginError, type PluginInstance } from '../../src/plugin-sdk/index.js';
import { requestCard } from '../../test/fakes/pagerduty/plugin-context.js';
import { firstTry, MemoryKv, testPluginContext } from '../../test/fakes/plugin-context.js';
import { type FakeSmtp, type ReceivedMail, startFakeSmtp } from '../../test/fakes/smtp/server.js';
import { DBA_ROLES_YAML, usersWithEmail } from '../../test/support/seed-world.js';
import { startTestStack, type TestStack, testRedisOptions } from '../../test/support/stack.js';
import emailPlugin from './index.js';

const REVIEWERS = ['ops@example.com', 'alice@example.com'];
const LINK = /https?:\/\/[^\s"<>]+\/hooks\/email\/review\?t=[A-Za-z0-9_-]{43}/g;

let smtp: FakeSmtp;
let stack: TestStack;

function config(extra: Record<string, unknown> = {}) {
  return {
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'none', user: smtp.user, password: smtp.password },
    from: 'accessbot <accessbot@example.com>',
    temp_failure_retry_ms: 300,
    ...extra,
  };
}

beforeAll(async () => {
  smtp = await startFakeSmtp({ auth: true });
  stack = await startTestStack({
    rolesYaml: DBA_ROLES_YAML,
    users: usersWithEmail({ rita: ['requester'], alice: ['approver'], bob: ['approver'] }),
    definitions: new Map([['email', emailPlugin as unknown as PluginDefinition]]),
    plugins: { email: config() },
    routing: [{ roles: ['*'], targets: { email: REVIEWERS } }],
    delivery: { backoff: '50ms', max_backoff: '500ms', attempts: 5 },
  });
});

afterAll(async () => {
  await stack?.stop();
  await smtp?.stop();
});

afterEach(() => {
  expect(smtp.unusedFaults(), 'every fault set hit a command').toBe(0);
});

const mailsOf = (requestId: string): ReceivedMail[] =>
  smtp.mails.filter((m) => m.header('x-accessbot-request') === requestId);

async function create(reason: string) {
  return (await stack.clientFor('rita')).createRequest({ roles: ['dba'], reason });
}

async function mailsWhen(requestId: string, count: number, what: string): Promise<ReceivedMail[]> {
  return stack.waitFor(
    () => (mailsOf(requestId).length >= count ? mailsOf(requestId) : undefined),
    20_000,
    what,
  );
}

describe('email through the stack', () => {
  it('mails each routed address and the requester, threads follow-ups, escapes user text, tells the requester the outcome', async () => {
    const shown = `<script>alert("x")</script> & <a href="https://evil.example">click</a> `;
    // A right-to-left override that would make "exe.pdf" read as "fdp.exe", and a zero-width space.
    const reason = `${shown}\u202Efdp.exe\u200B!`;
    const req = await create(reason);
    const first = await mailsWhen(req.id, 3, 'three first mails');
    expect(first.map((m) => m.to).sort()).toEqual([
      'alice@example.com',
      'ops@example.com',
      'rita@example.com',
    ]);
    for (const mail of first) {
      expect(mail.subject).toContain('[PENDING]');
      expect(mail.subject).toContain(req.id);
      expect(mail.html).not.toContain('<script>');
      expect(mail.html).not.toContain('href="https://evil.example"');
      expect(mail.html).toContain('&lt;script&gt;');
      expect(mail.text).toContain(`${shown}[U+202E]fdp.exe!`);
      expect(mail.html).toContain('[U+202E]fdp.exe!');
      expect(mail.text + mail.html + mail.subject).not.toMatch(/[\u202E\u200B]/);
      expect(mail.parsed.messageId).toMatch(/^<accessbot\..+@example\.com>$/);
      expect(mail.parsed.inReplyTo).toBeUndefined();
    }
    const reviewerLinks = first
      .filter((m) => m.to !== 'rita@example.com')
      .map((m) => m.text.match(LINK) ?? []);
    for (const links of reviewerLinks) expect(links).toHaveLength(1);
    expect(new Set(reviewerLinks.flat()).size, 'each reviewer has their own link').toBe(2);
    const requesterMail = first.find((m) => m.to === 'rita@example.com')!;
    expect(requesterMail.text.match(LINK)).toBeNull();
    expect(requesterMail.html.match(LINK)).toBeNull();

    await (await stack.clientFor('alice')).submitReview(req.id, {
      proposedState: 'APPROVED',
      reason: 'ok <b>fine</b>',
    });
    // A review mail and an outcome mail to everyone.
    const all = await mailsWhen(req.id, 9, 'review and outcome mails');
    const rootOf = new Map(first.map((m) => [m.to, m.parsed.messageId]));
    for (const mail of all.filter((m) => !first.includes(m))) {
      expect(mail.parsed.inReplyTo, `${mail.subject} threads under the first mail`).toBe(rootOf.get(mail.to));
      expect([mail.parsed.references].flat()).toContain(rootOf.get(mail.to));
      expect(mail.subject.startsWith('Re: ')).toBe(true);
    }
    const outcome = all.filter((m) => m.subject.includes('request is APPROVED'));
    expect(outcome.map((m) => m.to).sort()).toEqual([
      'alice@example.com',
      'ops@example.com',
      'rita@example.com',
    ]);
    const reviewMails = all.filter((m) => m.subject.includes('alice approved'));
    expect(reviewMails.map((m) => m.to).sort()).toEqual([
      'alice@example.com',
      'ops@example.com',
      'rita@example.com',
    ]);
    for (const mail of reviewMails) expect(mail.html).toContain('ok &lt;b&gt;fine&lt;/b&gt;');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(mailsOf(req.id)).toHaveLength(9);
  });

  it('an SMTP 4xx is retried; a 454 (throttling) pauses for the configured wait; each mail lands once', async () => {
    smtp.failNextRcpt(1, 451);
    smtp.failNextRcpt(1, 421);
    smtp.failNextRcpt(1, 454);
    const started = Date.now();
    const req = await create('through a greylisting, closing, throttling relay');
    const mails = await mailsWhen(req.id, 3, 'the first mails after three deferrals');
    expect(Date.now() - started, 'the throttled mail waited temp_failure_retry_ms').toBeGreaterThanOrEqual(
      300,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(mailsOf(req.id)).toHaveLength(3);
    expect(new Set(mails.map((m) => m.to)).size).toBe(3);
  });

  it('a 550 for one recipient dead-letters that delivery with the SMTP answer; the others are delivered', async () => {
    smtp.rejectMailbox('ops@example.com');
    try {
      const req = await create('one mailbox is gone');
      const mails = await mailsWhen(req.id, 2, 'mails to the other recipients');
      expect(mails.map((m) => m.to).sort()).toEqual(['alice@example.com', 'rita@example.com']);
      const dead = await stack.waitFor(
        async () =>
          (await listDeliveries(stack.config, { redis: testRedisOptions(), failed: true })).find(
            (row) => row.requestId === req.id,
          ),
        20_000,
        'a dead letter for the refused mailbox',
      );
      expect(dead.error).toContain('550');
      expect(dead.error).toContain('No such user');
      expect(dead.attempts).toBe(1);
    } finally {
      smtp.acceptAllMailboxes();
    }
  });

  it('20 concurrent requests: one mail per recipient each', async () => {
    const reqs = await Promise.all(Array.from({ length: 20 }, (_, i) => create(`burst ${i}`)));
    await stack.waitFor(() => reqs.every((r) => mailsOf(r.id).length >= 3 || undefined), 30_000, '60 mails');
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const r of reqs) {
      const mails = mailsOf(r.id);
      expect(mails.map((m) => m.to).sort()).toEqual([
        'alice@example.com',
        'ops@example.com',
        'rita@example.com',
      ]);
    }
  }, 60_000);
});

describe('email plugin on its own', () => {
  it('a refused SMTP login is an auth error naming the server answer', async () => {
    const ctx = testPluginContext(
      'email',
      emailPlugin.configSchema.parse(
        config({
          smtp: { host: '127.0.0.1', port: smtp.port, security: 'none', user: smtp.user, password: 'wrong' },
        }),
      ),
      { decide: async () => ({ kind: 'error', message: 'unused' }), getCard: async () => null },
    );
    const plugin = (await emailPlugin.create(ctx)) as PluginInstance;
    const err = await plugin.healthCheck().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).kind).toBe('auth');
    expect((err as PluginError).message).toContain('535');
    await plugin.close?.();
  });

  it('refuses recipients that are not mail addresses and needs a password with a user', async () => {
    expect(
      emailPlugin.configSchema.safeParse({ smtp: { host: 'h', user: 'u' }, from: 'a@b.c' }).success,
    ).toBe(false);
    const ctx = testPluginContext('email', emailPlugin.configSchema.parse(config()), {
      decide: async () => ({ kind: 'error', message: 'unused' }),
      getCard: async () => null,
    });
    const plugin = (await emailPlugin.create(ctx)) as PluginInstance;
    await expect(plugin.resolveRecipient('#ops', 'reviewer')).rejects.toThrow(/not a mail address/);
    expect(await plugin.resolveRecipient(' Bob@Example.com ', 'reviewer')).toMatchObject({
      id: 'bob@example.com',
    });
    await plugin.close?.();
  });

  it('a reminder threads under the first mail and carries a fresh link, stored only as a hash and bound to the reviewer', async () => {
    const kv = new MemoryKv();
    const ctx = {
      ...testPluginContext('email', emailPlugin.configSchema.parse(config()), {
        kv,
        decide: async () => ({ kind: 'error' as const, message: 'unused' }),
        getCard: async () => null,
      }),
      publicUrl: 'https://accessbot.example.com/',
    };
    const plugin = (await emailPlugin.create(ctx)) as PluginInstance<{ to: string; root: string }>;
    // A requester name with line breaks must not add headers to the mail.
    const card = requestCard({ user: 'mallory\r\nBcc: victim@example.com' });
    const target = await plugin.resolveRecipient('carol@example.com', 'reviewer');
    const ref = await plugin.deliver(target, card, firstTry());
    await plugin.remind!(target, ref, card, firstTry());
    const [first, reminder] = await stack.waitFor(
      () => {
        const mails = smtp.mails.filter((m) => m.header('x-accessbot-request') === card.requestId);
        return mails.length >= 2 ? mails : undefined;
      },
      10_000,
      'the first mail and the reminder',
    );
    expect(reminder!.subject).toContain('Reminder');
    expect(reminder!.parsed.inReplyTo).toBe(first!.parsed.messageId);
    expect(first!.header('bcc')).toBeUndefined();
    expect(first!.subject).not.toMatch(/[\r\n]/);
    const links = [first!, reminder!].map((m) => m.text.match(LINK)?.[0]);
    expect(links[0]).toMatch(/^https:\/\/accessbot\.example\.com\/hooks\/email\/review\?t=/);
    expect(links[1]).toBeDefined();
    expect(links[1]).not.toBe(links[0]);
    const tokens = links.map((l) => new URL(l!).searchParams.get('t')!);
    const stored = [...kv.data.entries()].filter(([key]) => key.startsWith('link:'));
    expect(stored).toHaveLength(2);
    for (const [key, value] of stored) {
      for (const token of tokens) expect(key + value).not.toContain(token);
      expect(JSON.parse(value)).toMatchObject({
        requestId: card.requestId,
        reviewer: 'carol@example.com',
        expires: card.requestExpires,
      });
    }
    await plugin.close?.();
  });
});
