// Every Slack rendering, measured against each Block Kit limit the plugin names
// (BLOCK_KIT_LIMITS), with the worst user text at the longest reason the config allows: the
// final text counts, after prefixes, escaping and block quoting.

import { describe, expect, it } from 'vitest';
import {
  BLOCK_KIT_LIMITS,
  MESSAGE_TEXT_MAX,
  renderMessage,
  renderOutcome,
  renderReminder,
  renderReview,
  renderReviewModal,
  renderWithdrawn,
} from '../../plugins/slack/render.js';
import type { Card, CardReview, Target } from '../../src/plugin-sdk/index.js';

const MAX = 2500;
const WORST = [
  '&'.repeat(MAX),
  '<'.repeat(MAX),
  '>'.repeat(MAX),
  '\n'.repeat(MAX),
  '&<\n>'.repeat(MAX / 4),
  '👍'.repeat(MAX),
  '𝕏'.repeat(MAX),
  '<!channel>&\n'.repeat(MAX / 12),
];

type Json = Record<string, unknown>;
const textOf = (obj: unknown) => ((obj as Json | undefined)?.text as string | undefined) ?? '';

/** Every limit a rendering can break, by name; empty when all hold. */
function overLimits(blocks: Json[], maxBlocks: number = BLOCK_KIT_LIMITS.messageBlocks): string[] {
  const over: string[] = [];
  if (blocks.length > maxBlocks) over.push(`blocks ${blocks.length}`);
  for (const block of blocks) {
    if (block.type === 'section') {
      if (textOf(block.text).length > BLOCK_KIT_LIMITS.sectionText)
        over.push(`section ${String(block.block_id)} ${textOf(block.text).length}`);
      const fields = (block.fields as Json[] | undefined) ?? [];
      if (fields.length > BLOCK_KIT_LIMITS.sectionFields) over.push('fields count');
      for (const field of fields)
        if (textOf(field).length > BLOCK_KIT_LIMITS.fieldText) over.push(`field ${textOf(field).length}`);
    }
    if (block.type === 'context') {
      const elements = (block.elements as Json[]) ?? [];
      if (elements.length > BLOCK_KIT_LIMITS.contextElements) over.push('context elements');
      for (const e of elements)
        if (textOf(e).length > BLOCK_KIT_LIMITS.contextText) over.push(`context ${textOf(e).length}`);
    }
    if (block.type === 'header' && textOf(block.text).length > BLOCK_KIT_LIMITS.headerText)
      over.push('header');
    if (block.type === 'input' && textOf(block.label).length > BLOCK_KIT_LIMITS.inputLabel)
      over.push('label');
  }
  return over;
}

function card(reason: string, state: Card['state']): Card {
  const reviews: CardReview[] =
    state === 'PENDING'
      ? []
      : ['alice', 'dave'].map((author) => ({
          author,
          submittedBy: author,
          decision: state === 'DENIED' ? 'DENIED' : 'APPROVED',
          reason,
          roles: [],
          created: '2026-11-29T10:00:00.000Z',
        }));
  return {
    requestId: '6f1c1d2e-0000-4000-8000-000000000001',
    version: 3,
    state,
    requester: { name: 'bob' },
    roles: ['dba', '<!here>&'.repeat(100)],
    resources: [],
    reason,
    suggestedReviewers: [],
    annotations: {},
    reviews,
    created: '2026-11-29T10:00:00.000Z',
    requestExpires: '2026-11-30T10:00:00.000Z',
    accessExpires: '2026-11-29T18:00:00.000Z',
    ...(state === 'PENDING' ? {} : { resolution: { state, by: 'alice', reason } }),
    actions: state === 'PENDING' ? ['approve', 'deny'] : [],
    cliHint: 'accessbot request review --approve|--deny 6f1c1d2e-0000-4000-8000-000000000001',
    links: [{ label: '&'.repeat(200), url: `https://example.com/${'<'.repeat(600)}` }],
  };
}

const reviewer: Target = { id: 'C1', kind: 'channel', audience: 'reviewer' };
const requester: Target = { id: 'U1', kind: 'user', audience: 'requester' };

describe('Slack renderings stay inside Block Kit limits', () => {
  for (const [i, reason] of WORST.entries()) {
    for (const compact of [false, true]) {
      it(`worst reason #${i + 1}${compact ? ', compact fallback' : ''}`, () => {
        const opts = { reasonMaxLength: MAX, compact };
        for (const state of ['PENDING', 'APPROVED', 'DENIED', 'EXPIRED'] as const) {
          for (const target of [reviewer, requester]) {
            const message = renderMessage(target, card(reason, state), opts);
            expect(overLimits(message.blocks), `${state} ${target.audience}`).toEqual([]);
            expect(message.text.length).toBeLessThanOrEqual(MESSAGE_TEXT_MAX);
            const withdrawn = renderWithdrawn(target, card(reason, state), opts);
            expect(overLimits(withdrawn.blocks), `withdrawn ${state}`).toEqual([]);
          }
          expect(renderOutcome(card(reason, state), opts).length).toBeLessThanOrEqual(MESSAGE_TEXT_MAX);
          expect(renderReminder(card(reason, state)).length).toBeLessThanOrEqual(MESSAGE_TEXT_MAX);
        }
        const review = card(reason, 'DENIED').reviews[0]!;
        const reply = renderReview(review, opts);
        expect(overLimits(reply.blocks)).toEqual([]);
        expect(reply.text.length).toBeLessThanOrEqual(MESSAGE_TEXT_MAX);
        // The shown reason is as long as fits, not cut to a fraction of it (the fallback keeps
        // only the start, marked as cut).
        const shown = textOf(reply.blocks[0]!.text).length;
        if (compact) expect(textOf(reply.blocks[0]!.text)).toContain('… (truncated)');
        else expect(shown).toBeGreaterThan(BLOCK_KIT_LIMITS.sectionText * 0.6);
      });
    }
  }

  it('the review modal', () => {
    const modal = renderReviewModal({ r: '6f1c1d2e-0000-4000-8000-000000000001', a: 'approve' }, true);
    expect(overLimits(modal.blocks as Json[], BLOCK_KIT_LIMITS.modalBlocks)).toEqual([]);
    for (const key of ['title', 'submit', 'close'])
      expect(textOf(modal[key]).length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.modalTitle);
    expect(String(modal.private_metadata).length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.privateMetadata);
  });
});
