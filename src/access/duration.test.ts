import { describe, expect, it } from 'vitest';
import { expectCode } from '../../test/access/expect-code.js';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['1h30m', 5_400_000],
    ['1h', 3_600_000],
    ['30m', 1_800_000],
    ['90s', 90_000],
    ['250ms', 250],
    ['2d', 172_800_000],
    ['1.5h', 5_400_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['0', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', ' ', 'h', '1', '1x', '-1h', '1h30', 'one hour', '1 h', '1h-5m'])('refuses %j', (text) => {
    const err = expectCode(() => parseDuration(text), 'INVALID_DURATION');
    expect(err.message).toContain('units ms, s, m, h, d');
  });
});

describe('formatDuration', () => {
  it.each([
    [5_400_000, '1h30m'],
    [3_600_000, '1h'],
    [90_000, '1m30s'],
    [0, '0s'],
    [172_800_000 + 60_000, '2d1m'],
    [1_500, '1s500ms'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 61_000, 3_723_000, 90_061_001]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });

  it('refuses negative durations', () => {
    expectCode(() => formatDuration(-1), 'INVALID_DURATION');
  });
});
