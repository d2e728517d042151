import { describe, expect, it } from 'vitest';
import type { Card, CardReview } from './card.js';
import { plainTextRenderer } from './plain-text.js';

const card = (over: Partial<Card> = {}): Card => ({
  requestId: 'req-1',
  version: 1,
  state: 'PENDING',
  requester: { name: 'alice' },
  roles: ['dba'],
  resources: [],
  reason: 'fix the lag',
  suggestedReviewers: [],
  annotations: {},
  reviews: [],
  created: '2026-01-01T00:00:00Z',
  requestExpires: '2026-01-02T00:00:00Z',
  accessExpires: '2026-01-03T00:00:00Z',
  actions: ['approve', 'deny'],
  cliHint: 'accessbot request review req-1',
  links: [{ label: 'Review page', url: 'https://accessbot.example.com/r/req-1' }],
  ...over,
});

const review = (over: Partial<CardReview> = {}): CardReview => ({
  author: 'bob',
  submittedBy: 'bob',
  decision: 'APPROVED',
  reason: '',
  roles: ['dba'],
  created: '2026-01-01T01:00:00Z',
  ...over,
});

describe('plainTextRenderer', () => {
  const drop = plainTextRenderer({ bidi: 'drop' });
  const mark = plainTextRenderer({ bidi: 'mark', neutralise: (t) => t.replaceAll('[code]', '(code)') });

  it('removes control characters, keeps newlines and tabs, and handles bidi controls as asked', () => {
    const text = 'need\u202eit\r\nnow\tplease\u0007\u001b[31m\u200b';
    expect(drop.plainText(text)).toBe('needit\nnow\tplease[31m');
    expect(mark.plainText(text)).toBe('need[U+202E]it\nnow\tplease[31m');
  });

  it('keeps one-line fields on one line and applies the platform neutraliser last', () => {
    expect(drop.oneLine('  mallory\nRESOLVED:\r\n\tignore  ')).toBe('mallory RESOLVED: ignore');
    expect(mark.oneLine('[co\u200bde]x')).toBe('(code)x');
  });

  it('summarises the request: resources over roles, reason, id, expiry, review lines, links', () => {
    const withResources = card({ resources: ['/node/db\n1', 'db2'], reason: '' });
    expect(drop.summaryLines(withResources, ['Review with: cli'], { rolesLine: true })).toEqual([
      'alice requested resources /node/db 1, db2.',
      'Roles: dba',
      'No reason given.',
      'Request ID: req-1',
      'Expires if not reviewed by: 2026-01-02T00:00:00Z',
      'Review with: cli',
      'Review page: https://accessbot.example.com/r/req-1',
    ]);
    expect(drop.summaryLines(card(), [])).toEqual([
      'alice requested roles dba.',
      'Reason: fix the lag',
      'Request ID: req-1',
      'Expires if not reviewed by: 2026-01-02T00:00:00Z',
      'Review page: https://accessbot.example.com/r/req-1',
    ]);
  });

  it('words review and outcome notes with who acted on whose behalf and why', () => {
    expect(drop.reviewNote(review())).toBe('bob approved the access request.');
    expect(drop.reviewNote(review({ decision: 'DENIED', submittedBy: 'bot\n', reason: 'no\u202e' }))).toBe(
      'bob denied the access request (submitted by bot).\nReason: no',
    );
    const resolved = card({ state: 'DENIED', resolution: { state: 'DENIED', by: 'bob', reason: 'not now' } });
    expect(drop.resolutionNote(resolved)).toBe('Access request ❌ DENIED by bob.\nReason: not now');
    expect(drop.resolutionNote(card({ state: 'EXPIRED', resolution: { state: 'EXPIRED' } }))).toBe(
      'Access request ⌛ EXPIRED.',
    );
  });
});
