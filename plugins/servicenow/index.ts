// ServiceNow: an incident per request, a work note per review, resolved or closed with the
// configured codes when the request is decided; approvals recorded in ServiceNow (or a state
// move) become reviews by the approver, read back by polling and optionally pushed by a signed
// business rule. See README.md for the config keys and the ServiceNow set-up.

import { definePlugin, permanent, type Target } from '../../src/plugin-sdk/index.js';
import { ApprovalRequests } from './approval-requests.js';
import { ServiceNowApi } from './client.js';
import { type ServiceNowConfig, serviceNowConfigSchema } from './config.js';
import { type DecisionDeps, pollDecisions } from './decisions.js';
import { checkSetup, healthCheck } from './health.js';
import { asIncidentRef, type IncidentRef, Incidents, NO_GROUP } from './incidents.js';
import { serviceNowOnCall } from './on-call.js';
import { pushRoute } from './push.js';
import { reviewNote, withdrawnNote } from './render.js';

function howToDecide(config: ServiceNowConfig): string {
  switch (config.decisions.source) {
    case 'approvals':
      return 'To review: approve or reject your approval record on this incident (Approvers); it counts as your review.';
    case 'state':
      return 'To review: move this incident to the approve or deny state; it counts as your review.';
    default:
      return 'Review in accessbot.';
  }
}

export default definePlugin<typeof serviceNowConfigSchema, IncidentRef>({
  id: 'servicenow',
  description: 'A ServiceNow incident per request; approvals recorded in ServiceNow become reviews',
  configSchema: serviceNowConfigSchema,
  traits: { onCall: true },
  create(ctx) {
    const config: ServiceNowConfig = ctx.config;
    const api = new ServiceNowApi(config);
    const reviewUrl = ctx.publicUrl ? `${ctx.publicUrl.replace(/\/+$/, '')}/sign-in` : undefined;
    const incidents = new Incidents(api, config, ctx.log, reviewUrl, howToDecide(config));
    const approvals = new ApprovalRequests(api, config, incidents, ctx.log);
    const deps: DecisionDeps = {
      api,
      config,
      kv: ctx.kv,
      log: ctx.log,
      incidents,
      decide: (d) => ctx.decide(d),
      getCard: (id) => ctx.getCard(id),
    };

    return {
      healthCheck: () => healthCheck(api, config),
      checkSetup: () => checkSetup(api, config, incidents),

      async resolveRecipient(raw: string, audience: Target['audience']): Promise<Target> {
        const name = raw.trim();
        if (name === NO_GROUP) return { id: NO_GROUP, kind: 'instance', audience };
        const id = await incidents.groupId(name);
        if (!id) throw permanent(`servicenow: no assignment group named "${raw}"`);
        return { id, kind: 'group', audience, data: { name } };
      },

      defaultRecipients() {
        return [config.assignment_group ?? NO_GROUP];
      },

      async deliver(target, card) {
        const ref = await incidents.ensure(target.id, card);
        ctx.log.info({ requestId: card.requestId, incident: ref.number }, 'servicenow incident open');
        if (card.state === 'PENDING') {
          await approvals.ask(ref);
          return ref;
        }
        await approvals.release(ref);
        return incidents.close(ref, card);
      },

      async update(_target, rawRef, card) {
        const ref = asIncidentRef(rawRef);
        if (!ref || card.state === 'PENDING' || ref.closedAs === card.state) return undefined;
        // Approvals first: a retry after a failed close redoes both, each a no-op when done.
        await approvals.release(ref);
        return incidents.close(ref, card);
      },

      async reply(_target, rawRef, review, _card, delivery) {
        const ref = asIncidentRef(rawRef);
        if (ref) await incidents.note(ref, reviewNote(review), delivery);
      },

      async withdraw(_target, rawRef, card, delivery) {
        const ref = asIncidentRef(rawRef);
        if (!ref) return;
        await approvals.release(ref);
        await incidents.note(ref, withdrawnNote(card), delivery);
      },

      onCall: serviceNowOnCall(api, config),

      routes() {
        return config.decisions.source === 'none' ? [] : [pushRoute(deps)];
      },

      poll() {
        const seconds = config.decisions.poll_interval_seconds;
        if (config.decisions.source === 'none' || seconds === 0) return null;
        return {
          intervalMs: seconds * 1000,
          run: async () => {
            await pollDecisions(deps);
          },
        };
      },
    };
  },
});
