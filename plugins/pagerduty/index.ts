// PagerDuty: an incident per request on the notify service(s), review and resolution notes,
// and automatic approval for whoever is on call for a service the request names.

import { type Card, definePlugin, permanent } from '../../src/plugin-sdk/index.js';
import { PagerDutyClient } from './client.js';
import { type PagerDutyConfig, pagerDutyConfigSchema } from './config.js';
import {
  asIncidentRef,
  closeIncident,
  findIncident,
  type IncidentRef,
  noteReview,
  openIncident,
} from './incidents.js';
import { pagerDutyOnCall } from './on-call.js';
import { withdrawnNote } from './render.js';

const annotationValues = (card: Card, name: string): string[] => [
  ...new Set((card.annotations[name] ?? []).map((v) => v.trim()).filter(Boolean)),
];

export function clientFromConfig(config: PagerDutyConfig): PagerDutyClient {
  return new PagerDutyClient({
    baseUrl: config.base_url,
    apiKey: config.api_key,
    fromEmail: config.from_email,
    timeoutMs: config.timeout_ms,
  });
}

/** The incident of a request on one service, or a note that none was opened (decided before posting). */
type PagerDutyRef = IncidentRef | { skipped: true; serviceId: string };

export default definePlugin<typeof pagerDutyConfigSchema, PagerDutyRef>({
  id: 'pagerduty',
  description: 'Opens a PagerDuty incident per request and auto-approves whoever is on call',
  configSchema: pagerDutyConfigSchema,
  traits: { onCall: true },
  create(ctx) {
    const config = ctx.config;
    const client = clientFromConfig(config);
    return {
      async healthCheck() {
        await client.abilities();
      },

      async checkSetup() {
        // PagerDuty refuses every write whose From header is not one of its users: the first
        // incident would fail, and every note after it.
        if (await client.findUserByEmail(config.from_email)) return [];
        return [
          {
            problem: `from_email ${config.from_email} is not a PagerDuty user, so PagerDuty refuses every incident and note`,
            fix: 'set from_email to the email of a PagerDuty user (a bot user with the Responder role will do)',
          },
        ];
      },

      async resolveRecipient(raw, audience) {
        const service = await client.findServiceByName(raw);
        if (!service) throw permanent(`no PagerDuty service named "${raw}"`);
        return { id: service.id, kind: 'service', audience, data: { name: service.name } };
      },

      defaultRecipients(card) {
        return annotationValues(card, config.notify_service_annotation);
      },

      async deliver(target, card): Promise<PagerDutyRef> {
        if (card.state !== 'PENDING') {
          // Paging someone about a request that is already decided helps nobody; but an earlier
          // attempt whose answer was lost may have opened one, which must not stay open.
          const orphan = await findIncident(client, target.id, card.requestId);
          if (!orphan) {
            ctx.log.info(
              { requestId: card.requestId, state: card.state },
              'request already resolved: no incident',
            );
            return { skipped: true, serviceId: target.id };
          }
          return orphan.resolved ? orphan : closeIncident(client, ctx.kv, orphan, card);
        }
        const ref = await openIncident(client, target.id, card, config.urgency);
        ctx.log.info(
          { requestId: card.requestId, incidentId: ref.incidentId, serviceId: target.id },
          'incident open',
        );
        return ref;
      },

      async update(_target, rawRef, card) {
        const ref = asIncidentRef(rawRef);
        if (!ref || ref.resolved || card.state === 'PENDING') return undefined;
        const closed = await closeIncident(client, ctx.kv, ref, card);
        ctx.log.info(
          { requestId: card.requestId, incidentId: ref.incidentId, state: card.state },
          'incident resolved',
        );
        return closed;
      },

      async withdraw(_target, rawRef, card) {
        const ref = asIncidentRef(rawRef);
        if (!ref || ref.resolved) return;
        await closeIncident(client, ctx.kv, ref, card, withdrawnNote(card));
        ctx.log.info(
          { requestId: card.requestId, incidentId: ref.incidentId },
          'incident resolved: request withdrawn',
        );
      },

      async reply(_target, rawRef, review, _card, delivery) {
        const ref = asIncidentRef(rawRef);
        if (!ref) return;
        await noteReview(client, ref, review, delivery);
      },

      onCall: pagerDutyOnCall(client, config),
    };
  },
});
