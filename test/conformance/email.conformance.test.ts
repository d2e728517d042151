// The email plugin against a real SMTP server on 127.0.0.1 (test/fakes/smtp/server.ts). A
// "message" is the first mail of a request in one mailbox; what it shows now is the newest
// mail of its thread (the subject carries the state, a pending reviewer mail carries a Review
// link). Replies are the review follow-ups' subjects, which name the reviewer. Decisions go
// through the reviewer's own link, as a person would: open it, read the page, post the form.
// SMTP has no idempotency key and a lost 250 cannot be told from a lost mail, so the
// lost-answer tests are not defined here.

import emailPlugin from '../../plugins/email/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { type ReceivedMail, startFakeSmtp } from '../fakes/smtp/server.js';
import type {
  ConformanceAdapter,
  ConformanceUser,
  DecisionAnswer,
  DecisionArgs,
  PlatformFake,
  PlatformMessage,
} from './adapter.js';
import { describeConformance } from './suite.js';
import { PEOPLE } from './world.js';

/** The wait after an SMTP throttling answer (454), as configured; rateLimitNext must ask for the same. */
const BUSY_WAIT_MS = 1000;
const LINK = /https?:\/\/[^\s"<>]+\/hooks\/email\/review\?t=[A-Za-z0-9_-]{43}/;
const STATE = /\[(PENDING|APPROVED|DENIED|EXPIRED|WITHDRAWN)\]/;

function textOfPage(html: string): string {
  const pick = (re: RegExp) => (re.exec(html)?.[1] ?? '').replace(/<[^>]+>/g, '').trim();
  return [pick(/<h1>([\s\S]*?)<\/h1>/), pick(/<p class="notice" id="notice">([\s\S]*?)<\/p>/)]
    .filter(Boolean)
    .join(' — ');
}

/** A browser's visit: open the link (303 + cookie), then the page. */
async function openLink(link: string): Promise<{ cookie: string; page: string; pageUrl: string }> {
  const opened = await fetch(link, { redirect: 'manual' });
  const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const pageUrl = opened.headers.get('location') ?? link;
  const page = await (await fetch(pageUrl, { headers: { cookie } })).text();
  return { cookie, page, pageUrl };
}

async function postForm(
  pageUrl: string,
  cookie: string,
  fields: Record<string, string>,
): Promise<DecisionAnswer> {
  const res = await fetch(pageUrl, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: new URL(pageUrl).origin },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, shown: textOfPage(await res.text()) };
}

async function startEmailFake(users: ConformanceUser[]): Promise<PlatformFake> {
  const smtp = await startFakeSmtp();
  const emails = new Map(users.map((u) => [u.name, u.email]));
  const about = (requestId: string) =>
    smtp.mails.filter((m) => m.header('x-accessbot-request') === requestId);
  const rootsOf = (requestId: string) => about(requestId).filter((m) => !m.parsed.inReplyTo);
  const threadOf = (root: ReceivedMail) =>
    smtp.mails.filter(
      (m) => m === root || (m.to === root.to && m.parsed.inReplyTo === root.parsed.messageId),
    );

  /** The newest Review link mailed to `user` about `requestId`. */
  const linkFor = (user: string, requestId: string): string => {
    const address = emails.get(user) ?? `${user}@example.com`;
    const link = about(requestId)
      .filter((m) => m.to === address)
      .map((m) => LINK.exec(m.text)?.[0])
      .filter((l): l is string => !!l)
      .at(-1);
    if (!link) throw new Error(`no Review link was mailed to ${address} about ${requestId}`);
    return link;
  };

  const decide = async (args: DecisionArgs, csrf?: string): Promise<DecisionAnswer> => {
    const { cookie, page, pageUrl } = await openLink(linkFor(args.user, args.requestId));
    const token = csrf ?? /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    return postForm(pageUrl, cookie, { _csrf: token, action: args.action, reason: args.reason });
  };

  return {
    pluginConfig: {
      smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' },
      from: 'accessbot <accessbot@example.com>',
      temp_failure_retry_ms: BUSY_WAIT_MS,
    },
    // Everyone of the world gets a reviewer mail, so the refusal tests have a link to use.
    reviewerRecipients: [...PEOPLE.reviewers, PEOPLE.noRights, PEOPLE.unmapped, PEOPLE.requester].map(
      (name) => emails.get(name) ?? `${name}@example.com`,
    ),
    async messages(requestId) {
      return rootsOf(requestId).map((root): PlatformMessage => {
        const thread = threadOf(root);
        const newest = thread.at(-1) ?? root;
        const status = STATE.exec(newest.subject)?.[1] ?? 'UNKNOWN';
        return {
          id: root.parsed.messageId ?? '',
          // A person may hold two threads of one request: a reviewer's and the requester's copy.
          target: `${root.to} as ${/\.(reviewer|requester)@/.exec(root.parsed.messageId ?? '')?.[1] ?? '?'}`,
          status,
          actions: status === 'PENDING' && LINK.test(newest.text) ? ['approve', 'deny'] : [],
          text: thread.map((m) => `${m.subject}\n${m.text}`).join('\n'),
        };
      });
    },
    async replies(requestId) {
      return about(requestId)
        .filter((m) => m.parsed.inReplyTo && / (approved|denied) /.test(m.subject))
        .map((m) => m.subject);
    },
    failNext(n) {
      smtp.failNextRcpt(n, 451);
    },
    rateLimitNext(n, seconds) {
      if (seconds * 1000 !== BUSY_WAIT_MS) throw new Error(`the plugin waits ${BUSY_WAIT_MS} ms after a 454`);
      smtp.failNextRcpt(n, 454);
    },
    unusedFaults: () => smtp.unusedFaults(),
    decisions: {
      decide: (_hookUrl, args) => decide(args),
      // The page's form with a CSRF token that is not the page's.
      forged: (_hookUrl, args) => decide(args, 'forged-csrf-token-0000000000000000000000000'),
      // A link from an earlier request of the same person that has expired or been resolved.
      async stale(_hookUrl, args) {
        const address = emails.get(args.user) ?? `${args.user}@example.com`;
        const old = smtp.mails
          .filter((m) => m.to === address && m.header('x-accessbot-request') !== args.requestId)
          .map((m) => LINK.exec(m.text)?.[0])
          .find((l): l is string => !!l);
        if (!old) throw new Error(`no earlier Review link was mailed to ${address}`);
        const { cookie, pageUrl } = await openLink(old);
        return postForm(pageUrl, cookie, { _csrf: '', action: args.action, reason: args.reason });
      },
    },
    stop: () => smtp.stop(),
  };
}

export const adapter: ConformanceAdapter = {
  id: 'email',
  definition: emailPlugin as unknown as PluginDefinition,
  startFake: startEmailFake,
};

describeConformance(adapter, { replies: true, lostAnswers: false, decisions: true });
