// Posting and editing messages: the root message per recipient, edits on every change,
// one thread reply per review, and the requester's outcome DM.

import type { WebClient } from '@slack/web-api';
import {
  type Card,
  type CardReview,
  type MessageRef,
  type PluginKv,
  permanent,
  type Target,
} from '../../src/plugin-sdk/index.js';
import { slackCall } from './client.js';
import { type RenderOptions, renderMessage, renderOutcome, renderReview } from './render.js';

export interface SlackRef {
  channel: string;
  ts: string;
}

export function asSlackRef(ref: MessageRef): SlackRef {
  if (typeof ref.channel !== 'string' || typeof ref.ts !== 'string') {
    throw permanent(`not a Slack message reference: ${JSON.stringify(ref)}`);
  }
  return { channel: ref.channel, ts: ref.ts };
}

/** Claims a once-only action; releases the claim if the action fails so a retry may do it. */
async function once(kv: PluginKv, key: string, action: () => Promise<void>): Promise<void> {
  if (!(await kv.setIfAbsent(key, '1', 30 * 24 * 3600))) return;
  try {
    await action();
  } catch (err) {
    await kv.delete(key);
    throw err;
  }
}

export class SlackMessages {
  constructor(
    private readonly client: WebClient,
    private readonly kv: PluginKv,
    private readonly opts: RenderOptions,
  ) {}

  /**
   * Posts the root message. Slack takes no idempotency key, so the ref is remembered under the
   * host's delivery id: a retry after the post succeeded but before the host stored the ref
   * (crash, lost Redis write) edits that message instead of posting a second one.
   */
  async post(target: Target, card: Card, deliveryId?: string): Promise<SlackRef> {
    const memoKey = deliveryId ? `posted:${deliveryId}` : undefined;
    const remembered = memoKey ? await this.kv.get(memoKey) : null;
    if (remembered) {
      const ref = asSlackRef(JSON.parse(remembered) as MessageRef);
      await this.edit(target, ref, card);
      return ref;
    }
    const { text, blocks } = renderMessage(target, card, this.opts);
    const res = await slackCall('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel: target.id,
        text,
        blocks: blocks as never,
        unfurl_links: false,
      }),
    );
    if (!res.channel || !res.ts) throw permanent('chat.postMessage answered without channel or ts');
    const ref = { channel: res.channel, ts: res.ts };
    if (memoKey) await this.kv.set(memoKey, JSON.stringify(ref), 30 * 24 * 3600);
    return ref;
  }

  async edit(target: Target, ref: SlackRef, card: Card): Promise<void> {
    const { text, blocks } = renderMessage(target, card, this.opts);
    await slackCall('chat.update', () =>
      this.client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks: blocks as never }),
    );
    if (target.audience === 'requester' && card.state !== 'PENDING') {
      // An edit does not notify; the requester hears about the outcome in a new DM, once.
      await once(this.kv, `outcome:${card.requestId}:${ref.channel}`, async () => {
        const outcome = renderOutcome(card, this.opts);
        await slackCall('chat.postMessage', () =>
          this.client.chat.postMessage({ channel: ref.channel, text: outcome }),
        );
      });
    }
  }

  async threadReply(ref: SlackRef, review: CardReview, card: Card): Promise<void> {
    const key = `reply:${card.requestId}:${ref.channel}:${ref.ts}:${review.author}:${review.created}`;
    await once(this.kv, key, async () => {
      const { text, blocks } = renderReview(review, this.opts);
      await slackCall('chat.postMessage', () =>
        this.client.chat.postMessage({
          channel: ref.channel,
          thread_ts: ref.ts,
          text,
          blocks: blocks as never,
        }),
      );
    });
  }
}
