// Trait interpolation for request annotations: `{{external.groups}}`, `{{internal.logins}}`,
// `{{external["team name"]}}`, optionally with literal text around (`team-{{external.team}}`).
// A multi-valued trait expands to one value per trait value; a missing trait drops the value
// (Teleport does the same: an annotation must never carry an unexpanded template).

import type { Traits } from './types.js';

const EXPRESSION =
  /^(.*?)\{\{\s*(external|internal)\s*(?:\.\s*([A-Za-z0-9_\-:/]+)|\[\s*"([^"]+)"\s*\])\s*\}\}(.*)$/s;

export interface ParsedTemplate {
  prefix: string;
  trait: string;
  suffix: string;
}

/** null for a plain literal; a template for a valid expression; throws on `{{` that does not parse. */
export function parseTemplate(value: string): ParsedTemplate | null {
  if (!value.includes('{{') && !value.includes('}}')) return null;
  const parsed = EXPRESSION.exec(value);
  if (!parsed || parsed[5]!.includes('{{') || parsed[1]!.includes('}}')) {
    throw new Error(`invalid trait expression "${value}": expected {{external.NAME}} or {{internal.NAME}}`);
  }
  return { prefix: parsed[1]!, trait: (parsed[3] ?? parsed[4])!, suffix: parsed[5]! };
}

export function interpolateValue(value: string, traits: Traits): string[] {
  let template: ParsedTemplate | null;
  try {
    template = parseTemplate(value);
  } catch {
    return [];
  }
  if (!template) return [value];
  const values = Object.hasOwn(traits, template.trait) ? (traits[template.trait] ?? []) : [];
  return values.map((traitValue) => `${template.prefix}${traitValue}${template.suffix}`);
}

/** Interpolates every value and merges into `into`, keeping first-seen order and no duplicates. */
export function mergeInterpolated(
  into: Record<string, string[]>,
  annotations: Record<string, string[]> | undefined,
  traits: Traits,
): void {
  for (const [key, values] of Object.entries(annotations ?? {})) {
    const expanded = values.flatMap((value) => interpolateValue(value, traits));
    // Own-property checks: a key like `__proto__` must stay data, never reach the prototype.
    if (expanded.length === 0 || key === '__proto__') continue;
    const existing = Object.hasOwn(into, key) ? into[key]! : [];
    for (const value of expanded) if (!existing.includes(value)) existing.push(value);
    into[key] = existing;
  }
}
