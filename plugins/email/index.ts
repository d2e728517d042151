// Email: a mail per request to the routed addresses, the suggested reviewers and the requester,
// threaded per request; a follow-up on each review, reminder and outcome. Each reviewer's mail
// carries their own Review link to a page served from /hooks/email/review, where only a posted
// form (CSRF-checked) decides, as that reviewer.

import {
  type Card,
  type DeliveryContext,
  definePlugin,
  type PluginContext,
  permanent,
  type Target,
} from '../../src/plugin-sdk/index.js';
import { type EmailConfig, emailConfigSchema, senderDomain } from './config.js';
import { ReviewLinks } from './links.js';
import { Mailer } from './mailer.js';
import { type MailKind, renderMail, stateOf } from './render-mail.js';
import { REVIEW_PATH, reviewRoutes, reviewUrl } from './review-route.js';
import { Sessions } from './sessions.js';
import { SIGN_IN_PATH, signInPages } from './sign-in-route.js';
import { followUpMessageId, rootMessageId } from './threading.js';

/** Where the request's thread lives: the address and the thread's root Message-ID. */
export type EmailRef = { to: string; root: string };

/** RFC 5321 caps a path at 256 octets; an address here is a plain `local@domain`. */
const ADDRESS = /^[^\s@<>(),;:"[\]\\]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$/;

function hooksBase(ctx: PluginContext<EmailConfig>): string | undefined {
  return ctx.publicUrl ? `${ctx.publicUrl.replace(/\/+$/, '')}/hooks/${ctx.id}` : undefined;
}

export default definePlugin<typeof emailConfigSchema, EmailRef>({
  id: 'email',
  description: 'Mail over SMTP, threaded per request, with a Review link to a confirm page',
  configSchema: emailConfigSchema,
  traits: { directMessages: true, signInPage: SIGN_IN_PATH },
  create(ctx) {
    const domain = senderDomain(ctx.config.from);
    const mailer = new Mailer(ctx.config, ctx.config.from);
    const links = new ReviewLinks(ctx.kv);
    const base = hooksBase(ctx);
    if (!base) ctx.log.warn({}, 'host.public_url is not set: mails carry no Review link');

    /** A fresh link for a reviewer's mail while the request still takes reviews. */
    async function linkFor(target: Target, card: Card): Promise<string | undefined> {
      if (!base || target.audience !== 'reviewer' || card.state !== 'PENDING') return undefined;
      const token = await links.issue({
        requestId: card.requestId,
        reviewer: target.id,
        expires: card.requestExpires,
      });
      return reviewUrl(base, token);
    }

    async function followUp(
      target: Target,
      ref: EmailRef,
      card: Card,
      kind: MailKind,
      delivery: DeliveryContext,
      review?: Parameters<typeof renderMail>[0]['review'],
    ): Promise<void> {
      const url = kind === 'review' || kind === 'reminder' ? await linkFor(target, card) : undefined;
      const content = renderMail({
        card,
        kind,
        ...(review ? { review } : {}),
        ...(url ? { reviewUrl: url } : {}),
      });
      await mailer.send({
        to: ref.to,
        ...content,
        messageId: followUpMessageId(card.requestId, delivery.deliveryId, domain),
        inReplyTo: ref.root,
        references: [ref.root],
        headers: { 'X-Accessbot-Request': card.requestId, 'X-Accessbot-State': stateOf(card, kind) },
      });
    }

    return {
      async healthCheck() {
        await mailer.verify();
      },
      async resolveRecipient(raw, audience): Promise<Target> {
        const address = raw.trim().toLowerCase();
        if (!ADDRESS.test(address)) throw permanent(`"${raw}" is not a mail address`);
        return { id: address, kind: 'email', audience };
      },
      defaultRecipients: () => ctx.config.recipients,
      async deliver(target, card, delivery) {
        const root = rootMessageId(card.requestId, target.audience, domain);
        const url = await linkFor(target, card);
        const content = renderMail({ card, kind: 'request', ...(url ? { reviewUrl: url } : {}) });
        await mailer.send({
          to: target.id,
          ...content,
          messageId: root,
          headers: {
            'X-Accessbot-Request': card.requestId,
            'X-Accessbot-State': card.state,
            'X-Accessbot-Delivery': delivery.deliveryId,
          },
        });
        return { to: target.id, root };
      },
      // A mail cannot be edited: a reviewer hears of the outcome in a follow-up, once the
      // request is resolved (the requester through notifyOutcome).
      async update(target, ref, card, delivery) {
        if (card.state !== 'PENDING' && target.audience === 'reviewer')
          await followUp(target, ref, card, 'outcome', delivery);
        return undefined;
      },
      async reply(target, ref, review, card, delivery) {
        await followUp(target, ref, card, 'review', delivery, review);
      },
      async remind(target, ref, card, delivery) {
        await followUp(target, ref, card, 'reminder', delivery);
      },
      async notifyOutcome(target, ref, card, delivery) {
        await followUp(target, ref, card, 'outcome', delivery);
      },
      async withdraw(target, ref, card, delivery) {
        await followUp(target, ref, card, 'withdrawn', delivery);
      },
      routes: () => {
        if (!base) return [];
        const signedIn = signInPages({
          ctx,
          links,
          sessions: new Sessions(ctx.kv),
          base,
          reviewPath: REVIEW_PATH,
        });
        return [...reviewRoutes({ ctx, links, base, signedIn }), ...signedIn.routes];
      },
      async close() {
        mailer.close();
      },
    };
  },
});
