// Routing recipients are alert responders, written `type:value` (a bare value is a team):
// `team:SRE`, `team:4513b7ea-…`, `escalation:DB escalation`, `schedule:…`, `user:…`.
// Opsgenie takes a team, escalation or schedule by id or name and a user by username; JSM
// Operations takes ids only (team and schedule UUIDs, Atlassian account ids for users).

import { permanent } from '../../src/plugin-sdk/index.js';

export type Responder =
  | { type: string; id: string }
  | { type: string; name: string }
  | { type: 'user'; username: string };

const TYPES = ['team', 'user', 'escalation', 'schedule'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Atlassian account ids: 24 hex digits, or `<digits>:<uuid>`. */
const ACCOUNT_ID = /^([0-9a-f]{24}|\d+:[0-9a-f-]{36})$/i;
/** Long enough for any name or id; the alias (which carries it) is bounded at 512. */
const VALUE_MAX = 200;

export interface ParsedResponder {
  /** Normalised `type:value`, the target id. */
  key: string;
  responder: Responder;
}

export function parseResponder(raw: string, flavor: 'jsm' | 'opsgenie'): ParsedResponder {
  const text = raw.trim();
  const colon = text.indexOf(':');
  const head = colon > 0 ? text.slice(0, colon).toLowerCase() : '';
  const typed = (TYPES as readonly string[]).includes(head);
  const type = typed ? head : 'team';
  const value = (typed ? text.slice(colon + 1) : text).trim();
  if (!value) throw permanent(`empty responder "${raw}": write team:<id or name>`);
  if (value.length > VALUE_MAX)
    throw permanent(`responder "${value.slice(0, 40)}…" is longer than ${VALUE_MAX} characters`);
  if ([...value].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === '\u007f'))
    throw permanent('a responder may not contain control characters');
  const key = `${type}:${value}`;
  const isId = type === 'user' ? ACCOUNT_ID.test(value) || UUID.test(value) : UUID.test(value);
  if (isId) return { key, responder: { type, id: value } };
  if (flavor === 'jsm') {
    throw permanent(
      `JSM Operations names responders by id, not "${value}": write ${type}:<${type === 'user' ? 'Atlassian account id' : `${type} id`}>`,
    );
  }
  return { key, responder: type === 'user' ? { type: 'user', username: value } : { type, name: value } };
}
