/**
 * Row checks and value conversions shared by both store implementations (pure functions).
 * A store encodes a row's values for its database and decodes what comes back by the column
 * types of the TableSpec, so both implementations return exactly the same rows.
 */
import { PinpipeError } from '../../core/errors.js';
import type { ColumnType, Row, TableSpec } from '../../core/tables.js';
import { parseCanonicalIso, parseDateTime } from '../../core/time.js';
import type { RowRange } from './types.js';

export type Value = string | number | boolean | null;

const invalid = (table: TableSpec, col: string, msg: string) => new PinpipeError('INTERNAL', `store table ${table.name}, column ${col}: ${msg}`);

/** Canonical ISO 8601 UTC with milliseconds, from an ISO/SQL date-time string or epoch ms. */
export function toIsoTimestamp(v: string | number): string | null {
  // already canonical (what the engine and the stream write): itself, without a Date per value
  if (typeof v === 'string' && typeof parseCanonicalIso(v) === 'number') return v;
  const ms = typeof v === 'number' ? v : parseDateTime(v);
  if (ms === null || !Number.isFinite(ms)) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function columnType(table: TableSpec, col: string): ColumnType {
  const c = table.columns.find(([n]) => n === col);
  if (!c) throw invalid(table, col, `no such column (columns: ${table.columns.map(([n]) => n).join(', ')})`);
  return c[1];
}

const isKey = (table: TableSpec, col: string) => table.key?.includes(col) ?? false;

/** A value made canonical for its column type: what both stores store (before dialect details). */
export function normalizeValue(table: TableSpec, col: string, v: unknown): Value {
  const type = columnType(table, col);
  if (v === undefined || v === null) {
    if (!isKey(table, col)) return null;
    if (type === 'text') return ''; // a null text key is stored as ''
    throw invalid(table, col, 'a key column must not be null');
  }
  switch (type) {
    case 'text':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      break;
    case 'int':
    case 'bigint':
    case 'double': {
      const n = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (Number.isFinite(n) && (type === 'double' || Number.isInteger(n))) return n;
      throw invalid(table, col, `${JSON.stringify(v)} is not ${type === 'double' ? 'a finite number' : 'an integer'}`);
    }
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 0 || v === 1) return v === 1;
      break;
    case 'timestamp':
      if (typeof v === 'string' || typeof v === 'number') {
        const iso = toIsoTimestamp(v);
        if (iso) return iso;
      }
      throw invalid(table, col, `${JSON.stringify(v)} is not a date-time (ISO 8601 string or epoch ms)`);
  }
  throw invalid(table, col, `${JSON.stringify(v)} is not a valid ${type}`);
}

/** Check a row's columns and return its normalized values; `full` fills absent columns with null. */
export function normalizeRow(table: TableSpec, row: Row, full: boolean): Row {
  for (const col of Object.keys(row)) columnType(table, col);
  const out: Row = {};
  for (const [col] of table.columns) {
    if (!full && !(col in row) && !isKey(table, col)) continue;
    out[col] = normalizeValue(table, col, row[col]);
  }
  return out;
}

/** The where-clause values, normalized; a null value means IS NULL (except a text key → ''). */
export function normalizeWhere(table: TableSpec, where: Row | undefined): [string, Value][] {
  return Object.entries(where ?? {}).map(([col, v]) => [col, normalizeValue(table, col, v)]);
}

export function normalizeRange(table: TableSpec, range: RowRange | undefined): { column: string; from: Value; to: Value } | undefined {
  if (!range) return undefined;
  return { column: range.column, from: normalizeValue(table, range.column, range.from), to: normalizeValue(table, range.column, range.to) };
}

/** Turn a database value back into the spec's JS type (bool → boolean, numbers → number, ...). */
export function decodeValue(type: ColumnType, v: unknown): Value {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'bool':
      return typeof v === 'boolean' ? v : Number(v) !== 0;
    case 'int':
    case 'bigint':
    case 'double':
      return typeof v === 'number' ? v : Number(v as string | bigint);
    case 'timestamp':
      if (v instanceof Date) return v.toISOString();
      return toIsoTimestamp(String(v)) ?? String(v);
    case 'text':
      return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
}

export function decodeRow(table: TableSpec, raw: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [col, type] of table.columns) out[col] = decodeValue(type, raw[col]);
  return out;
}

/** A value of an ad hoc query result, made JSON-friendly (bigint → number or string, dates → ISO). */
export function plainValue(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

/** Group rows by the set of columns they carry (for upserts that update only given columns). */
export function groupByColumns(rows: Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const sig = Object.keys(r).join('\u0000');
    const g = groups.get(sig);
    if (g) g.push(r);
    else groups.set(sig, [r]);
  }
  return groups;
}

export function requireKey(table: TableSpec): string[] {
  if (!table.key?.length) throw new PinpipeError('INTERNAL', `store table ${table.name} has no key: it can only be replaced, not upserted`);
  return table.key;
}
