// Slack's documented Block Kit and message limits, checked by the fake the way Slack checks
// them: a violation answers `ok:false` with `invalid_blocks` (or `msg_too_long` for text).

export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  messageText: 40_000,
  privateMetadata: 3000,
  modalTitle: 24,
  headerText: 150,
  modalBlocks: 100,
} as const;

type Json = Record<string, unknown>;

function textOf(obj: unknown): string {
  return typeof obj === 'object' && obj !== null && typeof (obj as Json).text === 'string'
    ? ((obj as Json).text as string)
    : '';
}

/** Returns why Slack would refuse these blocks, or undefined when they are acceptable. */
export function blockViolation(blocks: unknown, maxBlocks: number = SLACK_LIMITS.blocks): string | undefined {
  if (!Array.isArray(blocks)) return 'blocks is not an array';
  if (blocks.length > maxBlocks) return `more than ${maxBlocks} blocks`;
  for (const block of blocks as Json[]) {
    if (block.type === 'section') {
      if (textOf(block.text).length > SLACK_LIMITS.sectionText) return 'section text too long';
      const fields = (block.fields as Json[] | undefined) ?? [];
      if (fields.length > SLACK_LIMITS.sectionFields) return 'too many fields';
      if (fields.some((f) => textOf(f).length > SLACK_LIMITS.fieldText)) return 'field text too long';
      if (!block.text && fields.length === 0) return 'section without text or fields';
    } else if (block.type === 'context') {
      const elements = (block.elements as Json[] | undefined) ?? [];
      if (elements.length === 0 || elements.length > SLACK_LIMITS.contextElements)
        return 'bad context elements';
      if (elements.some((e) => textOf(e).length > SLACK_LIMITS.sectionText)) return 'context text too long';
    } else if (block.type === 'actions') {
      for (const el of (block.elements as Json[] | undefined) ?? []) {
        if (textOf(el.text).length > SLACK_LIMITS.buttonText) return 'button text too long';
        if (typeof el.value === 'string' && el.value.length > SLACK_LIMITS.buttonValue)
          return 'button value too long';
        if (typeof el.action_id === 'string' && el.action_id.length > SLACK_LIMITS.actionId)
          return 'action_id too long';
      }
    } else if (block.type === 'header') {
      if (textOf(block.text).length > SLACK_LIMITS.headerText) return 'header text too long';
    } else if (block.type === 'input') {
      if (!block.element || !block.label) return 'input without element or label';
    } else if (block.type !== 'divider') {
      return `unknown block type ${String(block.type)}`;
    }
  }
  return undefined;
}
