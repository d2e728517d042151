// Parsers for flag values: comma lists and k=v pairs. Bad values throw AccessbotError so the
// runner reports them like any other input error.

import { AccessbotError } from '../errors.js';

/** `a, b,,c` → [a, b, c]. */
export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** For repeatable flags: `--resource A --resource B`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `k=v1,k=v2,team=db` → { k: [v1, v2], team: [db] } (traits and annotations are multi-valued). */
export function parseKeyValues(value: string, flag: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const pair of parseList(value)) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!key) throw new AccessbotError('BAD_REQUEST', `${flag} expects key=value pairs, got "${pair}"`);
    const v = pair.slice(eq + 1).trim();
    if (!Object.hasOwn(out, key)) out[key] = [];
    out[key]!.push(v);
  }
  return out;
}
