// The webhook plugin against a real signed-webhook receiver (test/support/receiver.ts), which
// keeps every delivery by its X-Accessbot-Delivery id as an idempotent receiver would. A
// "message" is one `request.posted` delivery to a receiver URL; what it shows is the newest
// card that URL received for the request (or withdrawn after `request.deleted`). Decisions are
// signed POSTs to /hooks/webhook/, as a receiver's approval UI would send them.

import webhookPlugin from '../../plugins/webhook/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import { postSignedDecision, type ReceiverAnswer, startReceiver } from '../support/receiver.js';
import type {
  ConformanceAdapter,
  ConformanceUser,
  DecisionAnswer,
  DecisionArgs,
  PlatformFake,
  PlatformMessage,
} from './adapter.js';

const SECRET = 'conformance-webhook-secret-0123';
const PATHS = ['ops', 'security'];

function shownOf(json: Record<string, unknown>): string {
  if (typeof json.message === 'string') return json.message;
  const error = json.error as { message?: unknown } | undefined;
  return typeof error?.message === 'string' ? error.message : '';
}

async function startWebhookFake(users: ConformanceUser[]): Promise<PlatformFake> {
  const receiver = await startReceiver({ secret: SECRET });
  const emails = new Map(users.map((u) => [u.name, u.email]));
  const forced: ReceiverAnswer[] = [];
  receiver.answer(() => forced.shift() ?? null);

  const body = (args: DecisionArgs) => ({
    request_id: args.requestId,
    action: args.action,
    reason: args.reason,
    person: { email: emails.get(args.user) ?? `${args.user}@example.com` },
    person_label: args.user,
  });
  const send = async (
    hookUrl: (path: string) => string,
    args: DecisionArgs,
    opts: { timestamp?: number; signature?: string } = {},
  ): Promise<DecisionAnswer> => {
    const res = await postSignedDecision(hookUrl('/'), SECRET, body(args), opts);
    return { status: res.status, shown: shownOf(res.json) };
  };

  return {
    pluginConfig: { secret: SECRET },
    reviewerRecipients: PATHS.map((p) => receiver.urlFor(p)),
    async messages(requestId) {
      const all = receiver.deliveries().filter((d) => d.requestId === requestId);
      const out: PlatformMessage[] = [];
      for (const posted of all.filter((d) => d.event === 'request.posted')) {
        const forPath = all.filter((d) => d.path === posted.path);
        const withdrawn = forPath.some((d) => d.event === 'request.deleted');
        const card = receiver.latest(requestId, posted.path) ?? posted.card;
        out.push({
          id: posted.delivery,
          target: posted.path,
          status: withdrawn ? 'WITHDRAWN' : card.state,
          actions: withdrawn ? [] : [...card.actions],
          text: JSON.stringify(card),
        });
      }
      return out;
    },
    failNext(n) {
      for (let i = 0; i < n; i++) forced.push({ status: 503, body: 'unavailable' });
    },
    rateLimitNext(n, seconds) {
      for (let i = 0; i < n; i++) forced.push({ status: 429, retryAfter: String(seconds) });
    },
    loseNextAnswers: (n) => receiver.loseNextAnswers(n),
    unusedFaults: () => forced.length + receiver.answersStillToLose(),
    decisions: {
      decide: (hookUrl, args) => send(hookUrl, args),
      forged: (hookUrl, args) => send(hookUrl, args, { signature: `v1=${'0'.repeat(64)}` }),
      stale: (hookUrl, args) => send(hookUrl, args, { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
    },
    stop: () => receiver.stop(),
  };
}

export const webhookAdapter: ConformanceAdapter = {
  id: 'webhook',
  definition: webhookPlugin as unknown as PluginDefinition,
  startFake: startWebhookFake,
};

/** What the webhook fake gives the suite (the capabilities both worlds declare). */
export const webhookCapabilities = { replies: false, lostAnswers: true, decisions: true };
