// ServiceNow as an on-call provider (On-Call Scheduling): the request names rotas (cmn_rota, by
// sys_id or name) in an annotation; a person holds a shift in a rota when the on_call_rota
// whoisoncall API names them for it at the current time. Each rota is asked on its own, so the
// answer ties every shift to its rota whatever else the API returns. ServiceNow rotas have no
// escalation levels here (level 1), and the rota is itself the schedule. Limits, review_as and
// refusal logging are the host's (src/host/on-call); this file only reports what ServiceNow says.

import type { OnCallAnswer, OnCallProvider, OnCallShift } from '../../src/plugin-sdk/index.js';
import { queryValue, type Row, type ServiceNowApi } from './client.js';
import type { ServiceNowConfig } from './config.js';

/** A request naming more rotas than this is answered for the first ones only (bounded reads). */
export const MAX_ROTAS = 20;

async function findRota(api: ServiceNowApi, nameOrId: string): Promise<Row | null> {
  const v = queryValue(nameOrId);
  return api.first('cmn_rota', `sys_id=${v}^ORname=${v}`, ['sys_id', 'name']);
}

export function serviceNowOnCall(
  api: ServiceNowApi,
  config: ServiceNowConfig,
  now: () => Date = () => new Date(),
): OnCallProvider {
  return {
    label: 'ServiceNow',
    scopeKind: 'rota',
    scopeAnnotation: config.rotas_annotation,

    async shiftsOf({ person, scopes }): Promise<OnCallAnswer> {
      let user: Row | null;
      if (config.people.match === 'email') {
        if (!person.email)
          return { person: 'unknown', why: 'no_email', detail: 'the requester has no email address' };
        user = await api.first('sys_user', `email=${queryValue(person.email)}^active=true`, ['sys_id']);
      } else {
        const userName = person.traits[config.people.user_name_trait]?.[0];
        if (!userName)
          return {
            person: 'unknown',
            why: 'no_identity',
            detail: `the requester has no ${config.people.user_name_trait} trait naming their ServiceNow user`,
          };
        user = await api.first('sys_user', `user_name=${queryValue(userName)}^active=true`, ['sys_id']);
      }
      if (!user?.sys_id)
        return {
          person: 'unknown',
          why: 'user_not_found',
          detail: 'the requester has no active ServiceNow user',
        };

      const shifts: OnCallShift[] = [];
      const unknownScopes: string[] = [];
      const at = now();
      for (const scope of scopes.slice(0, MAX_ROTAS)) {
        const rota = await findRota(api, scope);
        if (!rota?.sys_id) {
          unknownScopes.push(scope);
          continue;
        }
        const onCall = await api.whoIsOnCall([rota.sys_id], at);
        if (onCall.some((entry) => entry.userId === user.sys_id))
          shifts.push({
            scope,
            level: 1,
            schedule: { id: rota.sys_id, ...(rota.name ? { name: rota.name } : {}) },
          });
      }
      return { person: 'found', shifts, unknownScopes };
    },

    async unknownSchedules(wanted) {
      const unknown: string[] = [];
      for (const w of wanted.slice(0, MAX_ROTAS * 5)) if (!(await findRota(api, w))) unknown.push(w);
      return unknown;
    },
  };
}
