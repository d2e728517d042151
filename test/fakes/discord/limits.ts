// Discord's documented message limits, checked by the fake the way Discord checks them: a
// violation answers 400 with code 50035 "Invalid Form Body" and the offending path.

type Json = Record<string, unknown>;

export const DISCORD_FAKE_LIMITS = {
  content: 2000,
  embeds: 10,
  embedTitle: 256,
  embedDescription: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  embedTotal: 6000,
  actionRows: 5,
  buttons: 5,
  customId: 100,
  buttonLabel: 80,
  modalTitle: 45,
  modalComponents: 5,
  labelText: 45,
  textInputMax: 4000,
  nonce: 25,
  threadName: 100,
} as const;

const L = DISCORD_FAKE_LIMITS;
const len = (v: unknown) => (typeof v === 'string' ? Array.from(v).length : 0);

/** Why Discord would refuse this message body (path: reason), or undefined. */
export function messageViolation(body: Json): string | undefined {
  if (body.content !== undefined && typeof body.content !== 'string') return 'content: must be a string';
  if (len(body.content) > L.content) return `content: Must be ${L.content} or fewer in length.`;
  if (body.nonce !== undefined && (typeof body.nonce !== 'string' || body.nonce.length > L.nonce))
    return 'nonce: invalid';
  const embeds = (body.embeds as Json[] | undefined) ?? [];
  if (!Array.isArray(embeds) || embeds.length > L.embeds) return 'embeds: too many';
  for (const [i, embed] of embeds.entries()) {
    let total = len(embed.title) + len(embed.description);
    if (len(embed.title) > L.embedTitle) return `embeds.${i}.title: too long`;
    if (len(embed.description) > L.embedDescription) return `embeds.${i}.description: too long`;
    const fields = (embed.fields as Json[] | undefined) ?? [];
    if (fields.length > L.fields) return `embeds.${i}.fields: too many`;
    for (const [j, field] of fields.entries()) {
      if (len(field.name) === 0 || len(field.name) > L.fieldName)
        return `embeds.${i}.fields.${j}.name: bad length`;
      if (len(field.value) === 0 || len(field.value) > L.fieldValue)
        return `embeds.${i}.fields.${j}.value: bad length`;
      total += len(field.name) + len(field.value);
    }
    const footer = embed.footer as Json | undefined;
    if (footer && len(footer.text) > L.footer) return `embeds.${i}.footer.text: too long`;
    total += len(footer?.text);
    if (total > L.embedTotal) return `embeds.${i}: Embed size exceeds maximum size of ${L.embedTotal}`;
  }
  const rows = (body.components as Json[] | undefined) ?? [];
  if (!Array.isArray(rows) || rows.length > L.actionRows) return 'components: too many';
  for (const [i, row] of rows.entries()) {
    if (row.type !== 1) return `components.${i}.type: expected an action row`;
    const buttons = (row.components as Json[] | undefined) ?? [];
    if (buttons.length === 0 || buttons.length > L.buttons) return `components.${i}.components: 1 to 5`;
    for (const [j, button] of buttons.entries()) {
      if (button.type !== 2) return `components.${i}.components.${j}.type: expected a button`;
      if (len(button.label) > L.buttonLabel) return `components.${i}.components.${j}.label: too long`;
      if (len(button.custom_id) === 0 || len(button.custom_id) > L.customId)
        return `components.${i}.components.${j}.custom_id: bad length`;
    }
  }
  return undefined;
}

/** A message must carry something: content, an embed, or components. */
export function isEmptyMessage(body: Json): boolean {
  return (
    !(typeof body.content === 'string' && body.content.length > 0) &&
    ((body.embeds as unknown[] | undefined) ?? []).length === 0 &&
    ((body.components as unknown[] | undefined) ?? []).length === 0
  );
}

/** Why Discord would refuse this modal (interaction response type 9), or undefined. */
export function modalViolation(data: Json): string | undefined {
  if (len(data.custom_id) === 0 || len(data.custom_id) > L.customId) return 'data.custom_id: bad length';
  if (len(data.title) === 0 || len(data.title) > L.modalTitle) return 'data.title: bad length';
  const components = (data.components as Json[] | undefined) ?? [];
  if (components.length === 0 || components.length > L.modalComponents) return 'data.components: 1 to 5';
  for (const [i, c] of components.entries()) {
    const input =
      c.type === 18
        ? (c.component as Json | undefined)
        : c.type === 1
          ? ((c.components as Json[])?.[0] as Json)
          : undefined;
    if (!input) return `data.components.${i}: expected a label or an action row`;
    if (c.type === 18 && (len(c.label) === 0 || len(c.label) > L.labelText))
      return `data.components.${i}.label: bad length`;
    if (c.type === 18 && input.label !== undefined)
      return `data.components.${i}.component.label: cannot be used in a label component`;
    if (input.type !== 4) return `data.components.${i}: expected a text input`;
    if (len(input.custom_id) === 0 || len(input.custom_id) > L.customId)
      return `data.components.${i}.component.custom_id: bad length`;
    if (typeof input.max_length === 'number' && input.max_length > L.textInputMax)
      return `data.components.${i}.component.max_length: at most ${L.textInputMax}`;
  }
  return undefined;
}
