// Jira Service Management Operations (and, with `flavor: opsgenie`, Opsgenie until its end of
// life): an alert per request and responder, a note per review, closed with a note naming the
// outcome when the request is approved, denied, expires or is withdrawn; and who is on call for
// the schedules a request names, for the host's on-call auto-approval.

import { type Card, definePlugin } from '../../src/plugin-sdk/index.js';
import { type AlertRef, asAlertRef, closeAlert, findOpenAlert, noteReview, raiseAlert } from './alerts.js';
import { OpsClient } from './client.js';
import { type JsmOpsConfig, jsmOpsConfigSchema } from './config.js';
import { dialectFor } from './dialect.js';
import { checkSetup, healthCheck } from './health.js';
import { onCallProvider } from './on-call.js';
import { resolutionNote, withdrawnNote } from './render.js';
import { parseResponder, type Responder } from './responders.js';

const annotationValues = (card: Card, name: string): string[] => [
  ...new Set((card.annotations[name] ?? []).map((v) => v.trim()).filter(Boolean)),
];

export function clientFromConfig(config: JsmOpsConfig): OpsClient {
  return new OpsClient(dialectFor(config), {
    timeoutMs: config.timeout_ms,
    processingWaitMs: config.processing_wait_ms,
  });
}

/** The alert of a request for one responder, or a note that none was raised (decided before posting). */
type JsmOpsRef = AlertRef | { skipped: true; responder: string };

export default definePlugin<typeof jsmOpsConfigSchema, JsmOpsRef>({
  id: 'jsm-ops',
  description:
    'Raises a JSM Operations (or Opsgenie) alert per request, notes reviews and closes it on the outcome',
  configSchema: jsmOpsConfigSchema,
  traits: { onCall: true },
  create(ctx) {
    const config = ctx.config;
    const client = clientFromConfig(config);
    const product = client.dialect.product;
    const alertOptions = { priority: config.priority, tags: config.tags };

    return {
      healthCheck: () => healthCheck(client, config),
      onCall: onCallProvider(client, config),
      checkSetup: () => checkSetup(client, config),

      async resolveRecipient(raw, audience) {
        const { key, responder } = parseResponder(raw, config.flavor);
        return { id: key, kind: responder.type, audience, data: { responder } };
      },

      defaultRecipients(card) {
        return annotationValues(card, config.notify_annotation);
      },

      async deliver(target, card, delivery): Promise<JsmOpsRef> {
        if (card.state !== 'PENDING') {
          // Paging someone about a request already decided helps nobody; but an earlier attempt
          // whose answer was lost may have raised one, which must not stay open.
          const orphan = await findOpenAlert(client, card.requestId, target.id);
          if (!orphan) return { skipped: true, responder: target.id };
          return closeAlert(client, orphan, resolutionNote(card));
        }
        const responder =
          (target.data?.responder as Responder | undefined) ??
          parseResponder(target.id, config.flavor).responder;
        const ref = await raiseAlert(client, card, target.id, responder, alertOptions, delivery);
        ctx.log.info(
          { requestId: card.requestId, alertId: ref.alertId, responder: target.id },
          `${product} alert raised`,
        );
        return ref;
      },

      async update(_target, rawRef, card) {
        const ref = asAlertRef(rawRef);
        if (!ref || ref.closed || card.state === 'PENDING') return undefined;
        const closed = await closeAlert(client, ref, resolutionNote(card));
        ctx.log.info(
          { requestId: card.requestId, alertId: ref.alertId, state: card.state },
          `${product} alert closed`,
        );
        return closed;
      },

      async withdraw(_target, rawRef, card) {
        const ref = asAlertRef(rawRef);
        if (!ref || ref.closed) return;
        await closeAlert(client, ref, withdrawnNote(card));
        ctx.log.info(
          { requestId: card.requestId, alertId: ref.alertId },
          `${product} alert closed: request withdrawn`,
        );
      },

      async reply(_target, rawRef, review, _card, delivery) {
        const ref = asAlertRef(rawRef);
        if (!ref) return;
        await noteReview(client, ref, review, delivery);
      },
    };
  },
});
