// Go-style durations (`1h30m`, `90s`, `1.5h`, `2d`), as Teleport roles write them.
// Kept as whole milliseconds: nothing in the model needs finer time.

import { AccessbotError } from '../errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

// `ms` must come before `m` so `500ms` is not read as `500m` + garbage.
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y;

export function parseDuration(text: string): number {
  const input = typeof text === 'string' ? text.trim() : '';
  if (input === '0') return 0;
  if (input === '') throw invalid(text, 'it is empty');
  let total = 0;
  PART.lastIndex = 0;
  let at = 0;
  while (at < input.length) {
    PART.lastIndex = at;
    const match = PART.exec(input);
    if (!match) throw invalid(text, `unexpected "${input.slice(at)}"`);
    const [, amount, unit] = match;
    total += Number(amount) * UNIT_MS[unit!]!;
    at = PART.lastIndex;
  }
  if (!Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) throw invalid(text, 'it is too large');
  return Math.round(total);
}

/** Inverse of parseDuration for whole units: 5_400_000 → '1h30m', 0 → '0s'. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw invalid(String(ms), 'it is negative or not a number');
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit]!;
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}

function invalid(text: string, why: string): AccessbotError {
  return new AccessbotError(
    'INVALID_DURATION',
    `invalid duration "${text}": ${why}; expected e.g. 30m, 1h30m, 8h, 2d (units ms, s, m, h, d)`,
  );
}
