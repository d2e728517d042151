// The message as Discord would take it: the worst user text at the documented maxima still fits
// Discord's limits (the fake's checks are Discord's), and nothing in it pings, links or formats.

import { describe, expect, it } from 'vitest';
import type { CardReview, Target } from '../../src/plugin-sdk/index.js';
import { isEmptyMessage, messageViolation, modalViolation } from '../../test/fakes/discord/limits.js';
import { MAX_REASON_LENGTH } from './config.js';
import { CUT_MARKER, escapeDiscord, fitText } from './escape.js';
import { renderMessage, renderReview, renderReviewModal } from './render.js';
import { testCard } from './test-context.js';

const reviewer: Target = { id: '1', kind: 'channel', audience: 'reviewer' };
const requester: Target = { id: '2', kind: 'user', audience: 'requester' };
const fieldValue = (body: ReturnType<typeof renderMessage>, name: string) =>
  body.embeds![0]!.fields!.find((f) => f.name === name)?.value;

function review(i: number, over: Partial<CardReview> = {}): CardReview {
  return {
    author: `reviewer-${i}-${'*'.repeat(150)}`,
    submittedBy: 'x',
    decision: i % 2 ? 'APPROVED' : 'DENIED',
    reason: '[x](https://evil.example) '.repeat(200),
    roles: [],
    created: new Date().toISOString(),
    ...over,
  };
}

describe('escaping', () => {
  it('shows mentions, links and markdown literally', () => {
    expect(escapeDiscord('@everyone @here')).toBe('@\u200beveryone @\u200bhere');
    expect(escapeDiscord('<@80351110224678912> <#1> <@&2> <t:1:R>')).toBe(
      '\\<@80351110224678912\\> \\<\\#1\\> \\<@&2\\> \\<t:1:R\\>',
    );
    expect(escapeDiscord('[click](https://evil.example)')).toBe('\\[click\\]\\(https\\://evil.example\\)');
    expect(escapeDiscord('**b** __u__ ~~s~~ ||x|| `c` # h -# small > q')).toBe(
      '\\*\\*b\\*\\* \\_\\_u\\_\\_ \\~\\~s\\~\\~ \\|\\|x\\|\\| \\`c\\` \\# h \\-\\# small \\> q',
    );
  });

  it('drops bidi and zero-width controls that make text read differently', () => {
    expect(escapeDiscord('safe\u202eexe.txt\u200b')).toBe('safeexe.txt');
  });

  it('cuts before escaping, with a readable marker, and never past the hard limit', () => {
    const cut = fitText('y'.repeat(50), 20, 1024);
    expect(cut).toBe(`${'y'.repeat(20 - Array.from(CUT_MARKER).length)}${CUT_MARKER}`);
    const stars = fitText('*'.repeat(5000), 900, 1024);
    expect(stars.length).toBeLessThanOrEqual(1024);
    expect(stars.endsWith(CUT_MARKER)).toBe(true);
    expect(stars.slice(0, -CUT_MARKER.length)).toMatch(/^(\\\*)+$/);
  });
});

describe('the request message', () => {
  it('fits every Discord limit with the worst input at the documented maxima', () => {
    const card = testCard({
      user: `${'_'.repeat(300)}@everyone`,
      roles: Array.from({ length: 400 }, (_, i) => `role-${i}-${'*'.repeat(40)}`),
      reason: '<@1>[x](https://e.example)*'.repeat(1000),
      state: 'APPROVED',
      resolvedBy: 'admin',
      resolveReason: '**'.repeat(2000),
    });
    card.reviews = Array.from({ length: 40 }, (_, i) => review(i, { decision: 'APPROVED' }));
    card.links = Array.from({ length: 8 }, (_, i) => ({
      label: '['.repeat(200),
      url: `https://x.example/${'a'.repeat(250)}${i}`,
    }));
    for (const target of [reviewer, requester]) {
      const body = renderMessage(
        target,
        card,
        { reasonMaxLength: MAX_REASON_LENGTH },
        { deliveryKey: 'k'.repeat(25) },
      );
      expect(messageViolation(body as Record<string, unknown>)).toBeUndefined();
      expect(isEmptyMessage(body as Record<string, unknown>)).toBe(false);
      expect(fieldValue(body, 'Reason')!.endsWith(CUT_MARKER)).toBe(true);
      expect(body.allowed_mentions).toEqual({ parse: [] });
    }
  });

  it('reviewers of a pending request get Approve/Deny; the requester, and resolved requests, none', () => {
    const pending = testCard();
    const buttons = renderMessage(reviewer, pending, { reasonMaxLength: 500 }).components!;
    expect(JSON.parse(JSON.stringify(buttons))).toEqual([
      {
        type: 1,
        components: [
          { type: 2, style: 3, label: 'Approve', custom_id: `accessbot:approve:${pending.requestId}` },
          { type: 2, style: 4, label: 'Deny', custom_id: `accessbot:deny:${pending.requestId}` },
        ],
      },
    ]);
    expect(renderMessage(requester, testCard({}, 'requester'), { reasonMaxLength: 500 }).components).toEqual(
      [],
    );
    expect(
      renderMessage(reviewer, testCard({ state: 'DENIED' }), { reasonMaxLength: 500 }).components,
    ).toEqual([]);
    expect(
      renderMessage(reviewer, pending, { reasonMaxLength: 500 }, { withdrawn: true }).components,
    ).toEqual([]);
  });

  it('a review message fits and escapes; the modal is what Discord accepts', () => {
    const body = renderReview(review(1), { reasonMaxLength: MAX_REASON_LENGTH });
    expect(messageViolation(body as Record<string, unknown>)).toBeUndefined();
    expect(body.content).not.toMatch(/(?<!\\)\[x\]|https:\/\//);
    const modal = renderReviewModal('approve', 'f'.repeat(64), true);
    expect(modalViolation(modal as unknown as Record<string, unknown>)).toBeUndefined();
    expect(modal.components[0]).toMatchObject({ type: 18, component: { type: 4, style: 2, required: true } });
  });
});
