import { describe, expect, it } from 'vitest';
import { forbiddenIdentifierChar, hasVisibleText, neutraliseInvisible } from './visible-text.js';

describe('hasVisibleText', () => {
  it('is false for spaces, controls, zero-width and bidi characters only', () => {
    expect(hasVisibleText('\u200b\u200c\u200d\u2060\ufeff\u00ad\u3164\u2800 \t\n\u202e\u2066')).toBe(false);
    expect(hasVisibleText('')).toBe(false);
  });
  it('is true as soon as one character shows, in any script', () => {
    expect(hasVisibleText('\u200bx')).toBe(true);
    expect(hasVisibleText('تذكرة')).toBe(true);
    expect(hasVisibleText('👍')).toBe(true);
  });
});

describe('neutraliseInvisible', () => {
  it('marks bidi controls and drops zero-width spaces', () => {
    expect(neutraliseInvisible('a\u202eb\u2066c\u2069d\u200be')).toBe('a[U+202E]b[U+2066]c[U+2069]de');
  });
  it('keeps what visible text needs: emoji sequences and ZWNJ', () => {
    const family = '👨\u200d👩\u200d👧';
    const flag = '🏴\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}';
    const persian = 'می\u200cخواهم';
    expect(neutraliseInvisible(family)).toBe(family);
    expect(neutraliseInvisible(flag)).toBe(flag);
    expect(neutraliseInvisible(persian)).toBe(persian);
    expect(neutraliseInvisible('❤\ufe0f')).toBe('❤\ufe0f');
  });
  it('returns plain text unchanged', () => {
    expect(neutraliseInvisible('plain <text> & more')).toBe('plain <text> & more');
  });
});

describe('forbiddenIdentifierChar', () => {
  it('finds NUL, ESC, bidi and zero-width characters', () => {
    expect(forbiddenIdentifierChar('ops\u0000')).toBe('\u0000');
    expect(forbiddenIdentifierChar('ops\u001b')).toBe('\u001b');
    expect(forbiddenIdentifierChar('o\u202eps')).toBe('\u202e');
    expect(forbiddenIdentifierChar('o\u200bps')).toBe('\u200b');
    expect(forbiddenIdentifierChar('dev-db.eu_1')).toBeUndefined();
  });
});
