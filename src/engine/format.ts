/**
 * Query results for people and programs: an aligned table with a row-count footer (terminal),
 * a JSON array of row objects, or CSV as the DuckDB CLI and most tools write it (RFC 4180 quoting:
 * a header line, fields with a comma, quote, CR or LF quoted with quotes doubled, null as an empty
 * field; but LF line ends, not RFC 4180's CRLF).
 */
import type { Plain, PlainRow } from './values.js';

export interface Result {
  columns: string[];
  rows: PlainRow[];
}

/** Columns of a result: given ones, else the keys of the first row. */
export function columnsOf(rows: PlainRow[], columns?: string[]): string[] {
  return columns ?? (rows[0] ? Object.keys(rows[0]) : []);
}

function cellText(v: Plain): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function toJson(r: Result): string {
  return JSON.stringify(r.rows.map((row) => Object.fromEntries(r.columns.map((c) => [c, row[c] ?? null])))) + '\n';
}

export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(r: Result): string {
  if (r.columns.length === 0) return '';
  const lines = [r.columns.map(csvField).join(',')];
  for (const row of r.rows) lines.push(r.columns.map((c) => csvField(cellText(row[c] ?? null))).join(','));
  return lines.join('\n') + '\n';
}

export interface TableStyle {
  header?: (s: string) => string;
  dim?: (s: string) => string;
}

/** Aligned columns: numbers right-aligned, null shown as NULL, one line per row, a footer. */
export function toTable(r: Result, style: TableStyle = {}): string {
  const header = style.header ?? ((s: string) => s);
  const dim = style.dim ?? ((s: string) => s);
  const n = r.rows.length;
  const footer = dim(`(${n} row${n === 1 ? '' : 's'})`);
  if (r.columns.length === 0) return footer + '\n';
  const cells = r.rows.map((row) => r.columns.map((c) => (row[c] === null || row[c] === undefined ? 'NULL' : cellText(row[c]!).replace(/\r?\n/g, '⏎'))));
  const numeric = r.columns.map((c) => r.rows.length > 0 && r.rows.every((row) => row[c] === null || typeof row[c] === 'number'));
  const widths = r.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const pad = (s: string, i: number) => (numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const lines = [header(r.columns.map((c, i) => pad(c, i)).join('  ')), dim(widths.map((w) => '─'.repeat(w)).join('  '))];
  for (const row of cells) lines.push(row.map((s, i) => pad(s, i)).join('  ').trimEnd());
  lines.push(footer);
  return lines.join('\n') + '\n';
}
