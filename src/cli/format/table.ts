// Plain column tables like tsh/tctl print them: a header, a dashed rule, space-separated
// columns padded to the widest cell. Cells longer than a column's limit are cut and marked
// with the column's footnote label, and the footnote is printed under the table.

export interface Column {
  title: string;
  /** Longer cells are cut to this many characters and get `... <footnoteLabel>`. */
  maxCellLength?: number;
  footnoteLabel?: string;
}

export interface Table {
  columns: Column[];
  rows: string[][];
  /** Footnote text by label, printed only when some cell was cut. */
  footnotes?: Record<string, string>;
}

function cut(cell: string, column: Column): { text: string; cut: boolean } {
  if (column.maxCellLength === undefined || cell.length <= column.maxCellLength)
    return { text: cell, cut: false };
  const mark = column.footnoteLabel ? `... ${column.footnoteLabel}` : '...';
  return { text: cell.slice(0, column.maxCellLength) + mark, cut: true };
}

export function renderTable(table: Table): string[] {
  const usedFootnotes = new Set<string>();
  const cells = table.rows.map((row) =>
    table.columns.map((column, i) => {
      const { text, cut: wasCut } = cut(row[i] ?? '', column);
      if (wasCut && column.footnoteLabel) usedFootnotes.add(column.footnoteLabel);
      return text;
    }),
  );
  const widths = table.columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join(' ')
      .trimEnd();
  const out = [
    line(table.columns.map((c) => c.title)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
  ];
  for (const label of usedFootnotes) {
    const note = table.footnotes?.[label];
    if (note) out.push('', `${label} ${note}`);
  }
  return out;
}
