// ServiceNow as an on-call provider (On-Call Scheduling): the request names rotas (cmn_rota, by
// sys_id or name) in an annotation; a person holds a shift in a rota when the on_call_rota
// whoisoncall API names them for it at the current time. Each rota is asked on its own, so the
// answer ties every shift to its rota whatever else the API returns. ServiceNow rotas have no
// escalation levels here (level 1), and the rota is itself the schedule. Limits, review_as and
// refusal logging are the host's (src/host/on-call); this file only reports what ServiceNow says.

import type { OnCallAnswer, OnCallProvider, OnCallShift } from '../../src/plugin-sdk/index.js';
import { queryValue, type Row, type ServiceNowApi } from './client.js';
import type { ServiceNowConfig } from './config.js';

/** The host refuses requests naming more scopes (MAX_ONCALL_SCOPES); a bound here all the same. */
export const MAX_ROTAS = 50;
/** Rotas asked about at once. */
const CONCURRENCY = 4;

/** `fn` over `items`, at most CONCURRENCY at a time, results in order. */
async function mapLimited<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return out;
}

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

      const at = now();
      const asked = scopes.slice(0, MAX_ROTAS);
      const answers = await mapLimited(asked, async (scope) => {
        const rota = await findRota(api, scope);
        if (!rota?.sys_id) return { scope, rota: null, onCall: false };
        const onCall = await api.whoIsOnCall([rota.sys_id], at);
        return { scope, rota, onCall: onCall.some((entry) => entry.userId === user.sys_id) };
      });
      const unknownScopes = answers.filter((a) => !a.rota).map((a) => a.scope);
      const shifts: OnCallShift[] = answers.flatMap((a) =>
        a.rota && a.onCall
          ? [
              {
                scope: a.scope,
                level: 1,
                schedule: { id: a.rota.sys_id!, ...(a.rota.name ? { name: a.rota.name } : {}) },
              },
            ]
          : [],
      );
      return { person: 'found', shifts, unknownScopes };
    },

    async unknownSchedules(wanted) {
      const found = await mapLimited(wanted.slice(0, MAX_ROTAS), (w) => findRota(api, w));
      return wanted.slice(0, MAX_ROTAS).filter((_, i) => !found[i]);
    },
  };
}
