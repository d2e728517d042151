// Email plugin, end to end through the real API and host (BullMQ on a private Redis): how long
// from a request's creation until the SMTP server accepted the mail, beside the webhook plugin
// fed by the same requests; and what the review page costs to render.

import { performance } from 'node:perf_hooks';
import emailPlugin from '../plugins/email/index.js';
import webhookPlugin from '../plugins/webhook/index.js';
import type { PluginDefinition } from '../src/plugin-sdk/index.js';
import { startFakeSmtp } from '../test/fakes/smtp/server.js';
import { startReceiver } from '../test/support/receiver.js';
import { startTestRedis } from '../test/support/redis.js';
import { DBA_ROLES_YAML } from '../test/support/seed-world.js';
import { startTestStack } from '../test/support/stack.js';
import { percentile } from './stats.js';
import type { BenchSection } from './types.js';
import { timeCreates, WEBHOOK_SECRET } from './webhook-baseline.js';

const N = 60;
const PAGE_VIEWS = 200;
const LINK = /https?:\/\/[^\s"<>]+\/hooks\/email\/review\?t=[A-Za-z0-9_-]{43}/;

export default async function run(): Promise<BenchSection> {
  const redis = await startTestRedis();
  process.env.ACCESSBOT_TEST_REDIS_SOCKET = redis.socket;
  const smtp = await startFakeSmtp();
  const receiver = await startReceiver({ secret: WEBHOOK_SECRET });
  const stack = await startTestStack({
    rolesYaml: DBA_ROLES_YAML,
    // The requester has no email, so each request makes exactly one mail and one webhook call.
    users: [
      { name: 'req', roles: ['requester'] },
      { name: 'alice', email: 'alice@example.com', roles: ['approver'] },
    ],
    definitions: new Map([
      ['email', emailPlugin as unknown as PluginDefinition],
      ['webhook', webhookPlugin as unknown as PluginDefinition],
    ]),
    plugins: {
      email: {
        smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' },
        from: 'accessbot@example.com',
      },
      webhook: { secret: WEBHOOK_SECRET },
    },
    routing: [{ roles: ['*'], targets: { email: ['alice@example.com'], webhook: [receiver.urlFor('ops')] } }],
  });
  try {
    const requester = await stack.clientFor('req');
    const mailOf = (id: string) => smtp.mails.find((m) => m.header('x-accessbot-request') === id);
    const {
      ids,
      toPlatform: createToMail,
      toWebhook: createToWebhook,
    } = await timeCreates({
      requester,
      receiver,
      count: N,
      what: 'mail accepted by SMTP',
      find: mailOf,
      postedAt: (m) => m.receivedAt,
    });

    // The review page as a browser asks for it (cookie set by the link), against /healthz on
    // the same inbound server.
    const link = LINK.exec(mailOf(ids.at(-1)!)!.text)![0];
    const opened = await fetch(link, { redirect: 'manual' });
    const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0]!;
    const pageUrl = opened.headers.get('location')!;
    const timed = async (url: string, headers: Record<string, string>): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < PAGE_VIEWS + 10; i++) {
        const start = performance.now();
        const res = await fetch(url, { headers });
        await res.text();
        if (res.status !== 200) throw new Error(`bench: ${url} answered ${res.status}`);
        if (i >= 10) out.push(performance.now() - start);
      }
      return out;
    };
    const page = await timed(pageUrl, { cookie });
    const health = await timed(`${new URL(pageUrl).origin}/healthz`, {});

    return {
      title:
        'Email plugin end to end (real API + host + Redis; real SMTP server and webhook receiver on 127.0.0.1)',
      rows: [
        {
          name: 'create → mail accepted by SMTP p50',
          value: percentile(createToMail, 50),
          unit: 'ms',
          baseline: { name: 'create → webhook p50', value: percentile(createToWebhook, 50), unit: 'ms' },
        },
        {
          name: 'create → mail accepted by SMTP p99',
          value: percentile(createToMail, 99),
          unit: 'ms',
          baseline: { name: 'create → webhook p99', value: percentile(createToWebhook, 99), unit: 'ms' },
        },
        {
          name: 'review page GET p50 (link lookup, card from the API, render)',
          value: percentile(page, 50),
          unit: 'ms',
          baseline: { name: 'GET /healthz p50', value: percentile(health, 50), unit: 'ms' },
        },
        {
          name: 'review page GET p99',
          value: percentile(page, 99),
          unit: 'ms',
          baseline: { name: 'GET /healthz p99', value: percentile(health, 99), unit: 'ms' },
        },
      ],
      notes: [
        `${N} requests after 5 warm-ups, one at a time; ${PAGE_VIEWS} page views after 10 warm-ups.`,
        'The mail is counted when the SMTP server has received and parsed it, just before its final 250, so the email figure includes parsing on the receiving side.',
        'Both plugins serve the same stack and the same requests.',
      ],
    };
  } finally {
    await stack.stop();
    await receiver.stop();
    await smtp.stop();
    await redis.stop();
  }
}
