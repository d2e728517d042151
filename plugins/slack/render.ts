// Card → Slack Block Kit. Every piece of user-controlled text goes through `fit`, which cuts
// it (with a visible marker) before escaping it for mrkdwn, so `<!channel>`, `<@U…>` and
// `<https://evil|click>` show literally and the block stays inside Slack's size limits.

import {
  type Card,
  type CardReview,
  escapeSlackMrkdwn,
  STATUS_LABEL,
  type Target,
  truncate,
} from '../../src/plugin-sdk/index.js';

type Block = Record<string, unknown>;

export const ACTION_APPROVE = 'accessbot_approve';
export const ACTION_DENY = 'accessbot_deny';
export const REVIEW_CALLBACK_ID = 'accessbot_review';
export const REASON_BLOCK_ID = 'reason';
export const REASON_ACTION_ID = 'reason';

/**
 * Slack's Block Kit and message limits (docs.slack.dev/reference/block-kit), checked against
 * the final rendered text: prefixes, escaping (`&` → `&amp;`) and quoting (`\n` → `\n>`) count.
 * Lengths are measured in UTF-16 code units (`String.length`), which is never less than
 * Slack's character count, so a 4-byte character counts twice and the result stays inside.
 */
export const BLOCK_KIT_LIMITS = {
  /** Blocks in one message. */
  messageBlocks: 50,
  /** Blocks in one modal view. */
  modalBlocks: 100,
  /** `text` of a section block. */
  sectionText: 3000,
  /** Each of a section's `fields`. */
  fieldText: 2000,
  /** Fields in one section. */
  sectionFields: 10,
  /** Each text element of a context block. */
  contextText: 3000,
  /** Elements in one context block. */
  contextElements: 10,
  /** Text of a header block (plain text). */
  headerText: 150,
  /** A modal's title, submit and close labels. */
  modalTitle: 24,
  /** An input block's label. */
  inputLabel: 2000,
  /** A modal's private_metadata. */
  privateMetadata: 3000,
  /** A plain_text_input's max_length. */
  plainTextInput: 3000,
  /** A button's text. */
  buttonText: 75,
} as const;

/** Top-level message `text`: Slack truncates longer notification text (hard limit 40,000). */
export const MESSAGE_TEXT_MAX = 4000;
const FIELD_MAX = BLOCK_KIT_LIMITS.fieldText;
const SECTION_MAX = BLOCK_KIT_LIMITS.sectionText;
/** Notification/fallback text of a message with blocks. */
const FALLBACK_MAX = 3000;

export interface RenderOptions {
  reasonMaxLength: number;
  /** False when nothing receives clicks (`interactions: none`): a button that does nothing misleads. */
  buttons?: boolean;
  /**
   * The fallback after Slack refused a message's content: a short reason with a note, no review
   * reasons, no review list, no links — what is left when the full rendering cannot be posted.
   */
  compact?: boolean;
}

/** Reason characters shown by the compact fallback. */
export const COMPACT_REASON_MAX = 200;

const compactNote = (card: Card) =>
  `\n_(shortened: Slack refused the full message; \`accessbot request show ${fitText(card.requestId, 100)}\` has all of it)_`;

/** Cuts user text to `max` raw characters, escapes it, and cuts again if escaping grew it past `hardMax`. */
export function fitText(text: string, max: number, hardMax: number = SECTION_MAX): string {
  return fitRendered(text, max, escapeSlackMrkdwn, hardMax);
}

/**
 * The rendering of the longest cut of `raw` (at most `maxChars` characters, cut with the
 * visible marker) whose final text — after `render` has escaped, quoted and prefixed it — is at
 * most `limit` long. The cut is never made in the rendered text, so no `&amp;` or surrogate
 * pair is split.
 */
export function fitRendered(
  raw: string,
  maxChars: number,
  render: (shown: string) => string,
  limit: number,
): string {
  let cut = maxChars;
  for (;;) {
    const out = render(truncate(raw, cut));
    if (out.length <= limit) return out;
    if (cut <= 0) return render('');
    cut = Math.max(0, Math.min(cut - 1, Math.floor((cut * limit) / out.length)));
  }
}

/** `text` quoted as a Slack block quote (every line starts with `>`), escaped. */
const quoted = (shown: string) => `>${escapeSlackMrkdwn(shown).replaceAll('\n', '\n>')}`;

/** Slack shows `<!date^…>` in each reader's own time zone; the ISO text is the fallback. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return fitText(iso, 60);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fitText(new Date(ms).toISOString(), 60)}>`;
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const plain = (text: string) => ({ type: 'plain_text', text, emoji: true });

/** The status line shown first on every message, e.g. `*⏳ PENDING*`. */
export function statusLine(card: Card): string {
  return `*${STATUS_LABEL[card.state]}*`;
}

function whatRequested(card: Card): { label: string; list: string[] } {
  return card.resources.length > 0
    ? { label: 'Resources', list: card.resources }
    : { label: 'Roles', list: card.roles };
}

/**
 * Who decided and why. When the deciding review met a threshold, every review on the winning
 * side counts (two approvals approve together); an administrator's resolution names only them.
 */
function decisionOf(card: Card): { who: string[]; reasons: string[] } {
  const resolution = card.resolution!;
  const side = card.reviews.filter((r) => r.decision === resolution.state);
  const byReview = resolution.by === undefined || side.some((r) => r.author === resolution.by);
  if (byReview && side.length > 0) {
    return { who: side.map((r) => r.author), reasons: side.filter((r) => r.reason).map((r) => r.reason) };
  }
  return {
    who: resolution.by ? [resolution.by] : [],
    reasons: resolution.reason ? [resolution.reason] : [],
  };
}

/** Deciders shown by name in the resolution; more are counted. */
const DECIDERS_SHOWN = 10;

/**
 * `*Resolution*` with who decided and, unless `withReasons` is false (the compact fallback), why,
 * cut so that the whole text fits `limit`.
 */
function resolutionText(
  card: Card,
  reasonMax: number,
  limit: number = SECTION_MAX,
  withReasons = true,
): string | undefined {
  if (!card.resolution) return undefined;
  if (card.resolution.state === 'EXPIRED') return '*Resolution*\nExpired without a decision.';
  const verb = card.resolution.state === 'APPROVED' ? 'Approved' : 'Denied';
  const { who, reasons } = decisionOf(card);
  const more = who.length > DECIDERS_SHOWN ? ` and ${who.length - DECIDERS_SHOWN} more` : '';
  const names = who
    .slice(0, DECIDERS_SHOWN)
    .map((w) => `*${fitText(w, 100)}*`)
    .join(', ');
  const head = `*Resolution*\n${verb}${who.length > 0 ? ` by ${names}${more}` : ''}`;
  if (!withReasons || reasons.length === 0) return head;
  return fitRendered(reasons.join('; '), reasonMax, (shown) => `${head}\n${quoted(shown)}`, limit);
}

function reviewsSummary(card: Card): string | undefined {
  if (card.reviews.length === 0) return undefined;
  const approvals = card.reviews.filter((r) => r.decision === 'APPROVED').length;
  const denials = card.reviews.length - approvals;
  const names = card.reviews
    .slice(0, 20)
    .map((r) => `${r.decision === 'APPROVED' ? '✅' : '❌'} ${fitText(r.author, 100)}`)
    .join(', ');
  const more = card.reviews.length > 20 ? `, and ${card.reviews.length - 20} more` : '';
  const summary = `Reviews: ${approvals} approval${approvals === 1 ? '' : 's'}, ${denials} denial${denials === 1 ? '' : 's'} (${names}${more})`;
  return summary.length <= BLOCK_KIT_LIMITS.contextText
    ? summary
    : `Reviews: ${approvals} approval${approvals === 1 ? '' : 's'}, ${denials} denial${denials === 1 ? '' : 's'}`;
}

/** Buttons are for reviewers of a pending request only; the requester's copy never has them. */
export function showsButtons(target: Target, card: Card): boolean {
  return target.audience === 'reviewer' && card.state === 'PENDING' && card.actions.length > 0;
}

export function renderMessage(
  target: Target,
  card: Card,
  opts: RenderOptions,
): { text: string; blocks: Block[] } {
  const { label, list } = whatRequested(card);
  const requester = fitText(card.requester.name, 200);
  const listField = fitRendered(
    list.join(', '),
    FIELD_MAX,
    (shown) => `*${label}*\n${shown ? escapeSlackMrkdwn(shown) : '_none_'}`,
    FIELD_MAX,
  );
  const intro =
    target.audience === 'requester' ? 'Your access request' : `Access request from *${requester}*`;
  const blocks: Block[] = [
    { type: 'section', block_id: 'status', text: mrkdwn(`${statusLine(card)}\n${intro}`) },
    {
      type: 'section',
      block_id: 'details',
      fields: [
        mrkdwn(`*Requester*\n${requester}`),
        mrkdwn(listField),
        mrkdwn(`*Request ID*\n${fitText(card.requestId, 100)}`),
        mrkdwn(
          card.state === 'APPROVED'
            ? `*Access until*\n${slackDate(card.accessExpires)}`
            : `*Request expires*\n${slackDate(card.requestExpires)}`,
        ),
      ],
    },
    {
      type: 'section',
      block_id: 'reason',
      text: mrkdwn(
        card.reason
          ? fitRendered(
              card.reason,
              opts.compact ? Math.min(COMPACT_REASON_MAX, opts.reasonMaxLength) : opts.reasonMaxLength,
              (shown) => `*Reason*\n${escapeSlackMrkdwn(shown)}${opts.compact ? compactNote(card) : ''}`,
              SECTION_MAX,
            )
          : '*Reason*\n_none given_',
      ),
    },
  ];
  const resolution = resolutionText(card, opts.reasonMaxLength, SECTION_MAX, !opts.compact);
  if (resolution) blocks.push({ type: 'section', block_id: 'resolution', text: mrkdwn(resolution) });
  const summary = opts.compact ? undefined : reviewsSummary(card);
  if (summary) blocks.push({ type: 'context', block_id: 'reviews', elements: [mrkdwn(summary)] });
  for (const link of opts.compact ? [] : card.links.slice(0, 5)) {
    if (!/^https?:\/\//.test(link.url)) continue;
    blocks.push({
      type: 'context',
      elements: [mrkdwn(`<${fitText(link.url, 500)}|${fitText(link.label, 100)}>`)],
    });
  }
  if (card.state === 'PENDING') {
    blocks.push({
      type: 'context',
      block_id: 'cli',
      elements: [mrkdwn(`Review from the CLI: \`${fitText(card.cliHint, 300)}\``)],
    });
  }
  if (opts.buttons !== false && showsButtons(target, card)) {
    blocks.push({
      type: 'actions',
      block_id: 'accessbot_actions',
      elements: [
        ...(card.actions.includes('approve')
          ? [
              {
                type: 'button',
                action_id: ACTION_APPROVE,
                text: plain('Approve'),
                style: 'primary',
                value: card.requestId,
              },
            ]
          : []),
        ...(card.actions.includes('deny')
          ? [
              {
                type: 'button',
                action_id: ACTION_DENY,
                text: plain('Deny'),
                style: 'danger',
                value: card.requestId,
              },
            ]
          : []),
      ],
    });
  }
  if (blocks.length > BLOCK_KIT_LIMITS.messageBlocks) blocks.splice(BLOCK_KIT_LIMITS.messageBlocks);
  const text = `${STATUS_LABEL[card.state]}: access request from ${requester} for ${label.toLowerCase()} ${fitText(list.join(', '), 500, 1500)}`;
  return { text: text.slice(0, FALLBACK_MAX), blocks };
}

/**
 * The message of a request deleted from the API: the same details under a WITHDRAWN status,
 * with no buttons and no CLI hint (there is nothing left to review).
 */
export function renderWithdrawn(
  target: Target,
  card: Card,
  opts: RenderOptions,
): { text: string; blocks: Block[] } {
  const { text, blocks } = renderMessage(target, card, { ...opts, buttons: false });
  const intro = target.audience === 'requester' ? 'Your access request' : 'Access request';
  const kept = blocks
    .filter((b) => b.block_id !== 'cli' && b.block_id !== 'accessbot_actions')
    .map((b) =>
      b.block_id === 'status'
        ? { ...b, text: mrkdwn(`*🗑️ WITHDRAWN*\n${intro} deleted by an administrator; nothing to review.`) }
        : b,
    );
  return { text: `WITHDRAWN: ${text.slice(text.indexOf(':') + 2)}`.slice(0, FALLBACK_MAX), blocks: kept };
}

/** The thread reply for one review: who, decision, reason. */
export function renderReview(review: CardReview, opts: RenderOptions): { text: string; blocks: Block[] } {
  const verb = review.decision === 'APPROVED' ? '✅ approved' : '❌ denied';
  const who = fitText(review.author, 200);
  const head = `*${who}* ${verb} this request`;
  const reasonMax = opts.compact ? Math.min(COMPACT_REASON_MAX, opts.reasonMaxLength) : opts.reasonMaxLength;
  const text = review.reason
    ? fitRendered(review.reason, reasonMax, (shown) => `${head}\n${quoted(shown)}`, SECTION_MAX)
    : `${head} (no reason given)`;
  return { text, blocks: [{ type: 'section', text: mrkdwn(text) }] };
}

/** How long something has waited, coarsely: `45 min`, `3 h 20 min`, `2 d 4 h`. */
export function waitedFor(ms: number): string {
  const min = Math.max(1, Math.floor(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  return h % 24 ? `${Math.floor(h / 24)} d ${h % 24} h` : `${Math.floor(h / 24)} d`;
}

/** The thread reminder while a request waits for a review (no user text in it). */
export function renderReminder(card: Card, nowMs = Date.now()): string {
  const waited = waitedFor(nowMs - Date.parse(card.created));
  return `⏰ Still waiting for a review after ${waited}. Approve or deny with the buttons above, or \`${card.cliHint.replaceAll('`', '')}\`.`;
}

/** The DM the requester gets when their request is resolved. */
export function renderOutcome(card: Card, opts: RenderOptions): string {
  const { label, list } = whatRequested(card);
  const head = `${statusLine(card)} Your request for ${label.toLowerCase()} ${fitText(list.join(', '), 500, 1500)} (${fitText(card.requestId, 100)}): `;
  const reasonMax = opts.compact ? Math.min(COMPACT_REASON_MAX, opts.reasonMaxLength) : opts.reasonMaxLength;
  const resolution =
    resolutionText(card, reasonMax, MESSAGE_TEXT_MAX - head.length)?.replace('*Resolution*\n', '') ?? '';
  return `${head}${resolution}`;
}

export interface ReviewModalMetadata {
  /** Request ID. */
  r: string;
  /** Action. */
  a: 'approve' | 'deny';
  /** Channel and message the click came from (for the ephemeral answer). */
  c?: string;
  t?: string;
}

export function renderReviewModal(meta: ReviewModalMetadata, reasonRequired: boolean): Block {
  const approve = meta.a === 'approve';
  return {
    type: 'modal',
    callback_id: REVIEW_CALLBACK_ID,
    private_metadata: JSON.stringify(meta),
    title: plain(approve ? 'Approve request' : 'Deny request'),
    submit: plain(approve ? 'Approve' : 'Deny'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'section',
        text: mrkdwn(
          `You are about to *${approve ? 'approve' : 'deny'}* request \`${fitText(meta.r, 100)}\`.`,
        ),
      },
      {
        type: 'input',
        block_id: REASON_BLOCK_ID,
        optional: !reasonRequired,
        label: plain(reasonRequired ? 'Reason (required)' : 'Reason (optional)'),
        element: { type: 'plain_text_input', action_id: REASON_ACTION_ID, multiline: true, max_length: 2000 },
      },
    ],
  };
}
