/** Python's len() of a str: code points, where JS's .length counts UTF-16 units (2 for 😀). */
const width = (s: string): number => [...s].length;

/** Python's "%-*s": pad to `w` code points. */
const pad = (s: string, w: number): string => s + " ".repeat(Math.max(0, w - width(s)));

/**
 * Ganeti's GenerateTable for the no-separator and separator cases: columns left-aligned and padded to
 * the widest cell (header included); the header row is padded in every column, data rows leave the last
 * column unpadded, exactly like gnt-* list commands.
 */
export function formatTable(
  headers: string[] | null,
  rows: string[][],
  opts: { separator?: string | undefined } = {},
): string[] {
  const sep = opts.separator;
  if (sep !== undefined) {
    const lines = headers ? [headers.join(sep)] : [];
    return lines.concat(rows.map((r) => r.join(sep)));
  }
  const ncol = headers?.length ?? rows[0]?.length ?? 0;
  const widths = new Array<number>(ncol).fill(0);
  for (const row of rows) row.forEach((v, i) => (widths[i] = Math.max(widths[i]!, width(v))));
  const lines: string[] = [];
  if (headers) {
    headers.forEach((h, i) => (widths[i] = Math.max(widths[i]!, width(h))));
    lines.push(headers.map((h, i) => pad(h, widths[i]!)).join(" "));
  }
  for (const row of rows) {
    lines.push(row.map((v, i) => (i === ncol - 1 ? v : pad(v, widths[i]!))).join(" "));
  }
  return lines;
}

/** One column of Ganeti's FormatTable: its title and whether its cells are right-aligned. */
export interface TableColumn {
  title: string;
  alignRight: boolean;
}

/**
 * A cell whose width, for the column's alignment, is not its text's: Ganeti measures a formatter's result
 * with len() before str(), so a cell formatted as a Python list counts as its number of elements.
 */
export interface MeasuredCell {
  text: string;
  width: number;
}

/** A cell of formatColumns. */
export type TableCell = string | MeasuredCell;

/** Python's "%*s" (right-aligned) to `w` code points. */
const padLeft = (s: string, w: number): string => " ".repeat(Math.max(0, w - width(s))) + s;

const cellText = (c: TableCell | undefined): string =>
  c === undefined ? "" : typeof c === "string" ? c : c.text;
const cellWidth = (c: TableCell | undefined): number =>
  c === undefined ? 0 : typeof c === "string" ? width(c) : c.width;

/**
 * Ganeti's FormatTable (the query-based lists: gnt-instance list, gnt-job list, list-fields): like
 * formatTable, but columns may be right-aligned, and a left-aligned last column is never padded, not even
 * in the header.
 */
export function formatColumns(
  columns: readonly TableColumn[],
  rows: readonly (readonly TableCell[])[],
  opts: { header?: boolean | undefined; separator?: string | undefined } = {},
): string[] {
  const header = opts.header ?? true;
  const data: (readonly TableCell[])[] = header ? [columns.map((c) => c.title)] : [];
  data.push(...rows);
  if (opts.separator !== undefined) {
    const sep = opts.separator;
    return data.map((r) => r.map(cellText).join(sep));
  }
  const widths = columns.map((_, i) => Math.max(0, ...data.map((r) => cellWidth(r[i]))));
  const last = columns.length - 1;
  if (last >= 0 && !columns[last]!.alignRight) widths[last] = 0;
  return data.map((r) =>
    columns.map((c, i) => (c.alignRight ? padLeft : pad)(cellText(r[i]), widths[i]!)).join(" "),
  );
}
