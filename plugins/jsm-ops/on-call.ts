// The on-call provider: which schedules the requester is on call for right now. Schedules come
// from a request annotation, as with PagerDuty; the host's policy decides what counts.
// JSM Operations answers with Atlassian account ids (profiles may hide emails), matched to the
// requester's account-id trait; Opsgenie answers with usernames, which are emails. Neither has
// escalation levels on a schedule, so every shift is level 1.

import type { OnCallAnswer, OnCallProvider, OnCallShift, PersonInfo } from '../../src/plugin-sdk/index.js';
import type { OpsClient } from './client.js';
import type { JsmOpsConfig } from './config.js';
import type { OnCallPerson } from './dialect.js';

/** Schedule names change rarely; JSM's on-call answer has none, so they are kept a while. */
const NAME_TTL_MS = 10 * 60_000;
const NAME_CACHE_MAX = 1_000;
/**
 * On-call reads side by side, a few at a time: two named schedules cost one round trip, and the
 * host's maximum of fifty does not fire fifty calls at once into the platform's rate limit.
 */
const READS_AT_ONCE = 4;

/** `fn` over `items`, at most READS_AT_ONCE at a time, results in input order. */
async function inGroups<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += READS_AT_ONCE)
    out.push(...(await Promise.all(items.slice(i, i + READS_AT_ONCE).map(fn))));
  return out;
}

type Identity = { accountId: string } | { email: string };

function identityOf(person: PersonInfo, config: JsmOpsConfig): Identity | null {
  if (config.flavor === 'opsgenie') return person.email ? { email: person.email.toLowerCase() } : null;
  const accountId = person.traits[config.account_id_trait]?.find((v) => v.trim())?.trim();
  return accountId ? { accountId } : null;
}

const isHim = (identity: Identity, p: OnCallPerson): boolean =>
  'accountId' in identity
    ? 'accountId' in p && p.accountId === identity.accountId
    : 'email' in p && p.email.toLowerCase() === identity.email;

export function onCallProvider(client: OpsClient, config: JsmOpsConfig): OnCallProvider {
  const product = client.dialect.product;
  const names = new Map<string, { name?: string; until: number }>();

  /** The schedule's display name (for `auto_approval.schedules` by name); one read per TTL. */
  async function nameOf(id: string): Promise<string | undefined> {
    const cached = names.get(id);
    if (cached && cached.until > Date.now()) return cached.name;
    const found = await client.schedule(id);
    if (names.size >= NAME_CACHE_MAX) names.delete(names.keys().next().value as string);
    names.set(id, { ...(found?.name ? { name: found.name } : {}), until: Date.now() + NAME_TTL_MS });
    return found?.name;
  }

  return {
    label: product,
    scopeKind: 'schedule',
    scopeAnnotation: config.schedules_annotation,

    async shiftsOf({ person, scopes }): Promise<OnCallAnswer> {
      const identity = identityOf(person, config);
      if (!identity) {
        return config.flavor === 'opsgenie'
          ? {
              person: 'unknown',
              why: 'no_email',
              detail: 'the requester has no email address (Opsgenie names on-call users by email)',
            }
          : {
              person: 'unknown',
              why: 'no_identity',
              detail: `the requester has no ${config.account_id_trait} trait (their Atlassian account id)`,
            };
      }
      const rosters = await inGroups(scopes, (scope) => client.onCall(scope));
      const shifts: OnCallShift[] = [];
      const unknownScopes: string[] = [];
      for (const [i, scope] of scopes.entries()) {
        const roster = rosters[i];
        if (!roster) {
          unknownScopes.push(scope);
          continue;
        }
        if (!roster.people.some((p) => isHim(identity, p))) continue;
        const name = roster.schedule.name ?? (await nameOf(roster.schedule.id));
        shifts.push({ scope, level: 1, schedule: { id: roster.schedule.id, ...(name ? { name } : {}) } });
      }
      return { person: 'found', shifts, unknownScopes };
    },

    async unknownSchedules(schedules) {
      const found = await inGroups(schedules, (schedule) => client.schedule(schedule));
      return schedules.filter((_, i) => !found[i]);
    },
  };
}
