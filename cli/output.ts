/**
 * How the CLI prints rows: an aligned text table for people, RFC 4180 CSV and JSON for
 * programs. Pure string builders; the commands decide where the text goes.
 */

export type OutputFormat = 'table' | 'json' | 'csv';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'csv'];

/** One column: its header, how to read it from a row, and (tables only) how wide it may grow. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | undefined | null;
  /** Longer cells are cut with an ellipsis in tables; CSV and JSON always carry the whole value. */
  maxWidth?: number;
}

function cellText(value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  return String(value);
}

/** One CSV field: quoted when it holds a comma, a quote, CR or LF; quotes doubled (RFC 4180, section 2). */
export function csvField(value: string | number | boolean | undefined | null): string {
  const text = cellText(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(fields: readonly (string | number | boolean | undefined | null)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** The header line of `columns`, CRLF-terminated as RFC 4180 asks. */
export function csvHeader<T>(columns: readonly Column<T>[]): string {
  return csvLine(columns.map((c) => c.header));
}

export function csvRows<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  return rows.map((row) => csvLine(columns.map((c) => c.value(row)))).join('');
}

export function toCsv<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  return csvHeader(columns) + csvRows(rows, columns);
}

/** Control characters (a newline in a reason, an escape sequence in a name) would break the table or the terminal. */
function tableCell(value: string | number | boolean | undefined | null, maxWidth: number | undefined): string {
  const flat = Array.from(cellText(value), (ch) => (ch < ' ' || ch === '\u007f' ? ' ' : ch)).join('');
  if (maxWidth === undefined || flat.length <= maxWidth) return flat;
  return `${flat.slice(0, Math.max(1, maxWidth - 1))}…`;
}

/** Left-aligned columns separated by two spaces, a header row, no trailing spaces. */
export function toTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => tableCell(c.value(row), c.maxWidth)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Key/value lines for one object (a single request in table format). */
export function toRecordLines(fields: readonly [string, string | number | boolean | undefined | null][]): string {
  const present = fields.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const width = Math.max(0, ...present.map(([k]) => k.length));
  return present.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${tableCell(v, undefined)}`).join('\n') + '\n';
}
