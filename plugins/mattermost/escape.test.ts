import { describe, expect, it } from 'vitest';
import { escapeBlock, escapeInline, escapeMattermost, plainInline } from './escape.js';

/** What a reader sees: zero-width breaks are invisible and backslash escapes render as the character. */
const seen = (text: string) => text.replaceAll('\u200b', '').replace(/\\(.)/g, '$1');

describe('escapeMattermost', () => {
  it.each([
    '@channel',
    '@all',
    '@here',
    '@alice.smith',
    'mail bob@example.com',
    '~town-square',
    '[click](https://evil.example)',
    '![img](https://evil.example/x.png)',
    'https://evil.example/path?q=1',
    'www.evil.example',
    '**bold** _it_ `code` # heading > quote | table',
    '<script>alert(1)</script>',
  ])('%s shows literally and is not live markup', (input) => {
    const out = escapeMattermost(input);
    expect(seen(out)).toBe(input);
    expect(out).not.toMatch(/(^|[^\u200b])@[a-z]/i);
    expect(out).not.toMatch(/~[a-z]/i);
    expect(out).not.toMatch(/[a-z]+:\/\/|www\.[a-z]/i);
    expect(out).not.toMatch(/(^|[^\\])[[\]()*_`#>|<]/);
  });

  it('drops bidi controls that would make text read differently from what it is', () => {
    expect(seen(escapeMattermost('admin\u202egnp.exe\u2066x\u2069'))).toBe('admingnp.exex');
  });

  it('escapeInline folds newlines and cuts with a visible marker before escaping', () => {
    const out = escapeInline(`line one\nline two ${'z'.repeat(300)}`, 40);
    expect(out).not.toContain('\n');
    expect(Array.from(seen(out))).toHaveLength(40);
    expect(seen(out).endsWith('… (truncated)')).toBe(true);
  });

  it('escapeBlock keeps newlines and cuts at the limit', () => {
    const out = escapeBlock(`a\nb ${'y'.repeat(50)}`, 30);
    expect(seen(out)).toContain('a\nb');
    expect(Array.from(seen(out))).toHaveLength(30);
  });

  it('plainInline (plain-text fields) breaks mentions and links without markdown escapes', () => {
    expect(plainInline('@all see https://x.example', 100)).toBe('@\u200ball see https:\u200b//x.example');
  });
});
