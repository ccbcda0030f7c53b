/**
 * SQL for a TableSpec on SQLite: DDL (create, add missing columns) and the statements of the
 * store operations. Rows given here are already normalized (store/values.ts). Identifiers come from the
 * table specs and are quoted; values are always bound parameters.
 */
import type { ColumnType, Row, TableSpec } from '../../core/tables.js';
import type { SqliteDb } from './file.js';
import { decodeRow, groupByColumns, requireKey, type Value } from '../store/values.js';

export const qi = (name: string): string => `"${name.replace(/"/g, '""')}"`;

const SQL_TYPES: Record<ColumnType, string> = { text: 'TEXT', int: 'INTEGER', bigint: 'INTEGER', double: 'REAL', timestamp: 'TEXT', bool: 'INTEGER' };
const MAX_PARAMS = 30_000;

const encode = (v: Value | undefined): number | string | null => (v === undefined || v === null ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v);

function columnDef(table: TableSpec, [name, type]: [string, ColumnType]): string {
  return `${qi(name)} ${SQL_TYPES[type]}${table.key?.includes(name) ? ' NOT NULL' : ''}`;
}

/**
 * Create the table if missing, add columns the spec has and the table lacks. A `rebuild` table (a
 * metric's) whose columns, types or key differ from the spec is dropped and created again.
 */
export function ensureTable(db: SqliteDb, table: TableSpec): void {
  const cols = table.columns.map((c) => columnDef(table, c));
  if (table.key?.length) cols.push(`PRIMARY KEY (${table.key.map(qi).join(', ')})`);
  const create = `CREATE TABLE IF NOT EXISTS ${qi(table.name)} (${cols.join(', ')})`;
  db.exec(create);
  const info = db.all(`PRAGMA table_info(${qi(table.name)})`).map((r) => ({ name: String(r.name), type: String(r.type), pk: Number(r.pk) }));
  if (table.rebuild) {
    const want = table.columns.map(([n, t]) => `${n}:${SQL_TYPES[t]}:${table.key?.includes(n) ? table.key.indexOf(n) + 1 : 0}`).join(',');
    const have = info.map((c) => `${c.name}:${c.type}:${c.pk}`).join(',');
    if (want !== have) {
      db.exec(`DROP TABLE ${qi(table.name)}`);
      db.exec(create);
    }
    return;
  }
  const have = new Set(info.map((c) => c.name));
  for (const c of table.columns) {
    if (!have.has(c[0])) db.exec(`ALTER TABLE ${qi(table.name)} ADD COLUMN ${qi(c[0])} ${SQL_TYPES[c[1]]}`);
  }
}

export interface Filter {
  where: [string, Value][];
  /** from <= column < to; either bound may be left out */
  range?: { column: string; from?: Value; to?: Value };
}

function whereSql(f: Filter): { sql: string; params: (number | string | null)[] } {
  const parts: string[] = [];
  const params: (number | string | null)[] = [];
  for (const [col, v] of f.where) {
    if (v === null) parts.push(`${qi(col)} IS NULL`);
    else {
      parts.push(`${qi(col)} = ?`);
      params.push(encode(v));
    }
  }
  if (f.range?.from !== undefined) {
    parts.push(`${qi(f.range.column)} >= ?`);
    params.push(encode(f.range.from));
  }
  if (f.range?.to !== undefined) {
    parts.push(`${qi(f.range.column)} < ?`);
    params.push(encode(f.range.to));
  }
  return { sql: parts.length ? ` WHERE ${parts.join(' AND ')}` : '', params };
}

export function deleteRows(db: SqliteDb, table: TableSpec, f: Filter): void {
  const w = whereSql(f);
  db.run(`DELETE FROM ${qi(table.name)}${w.sql}`, w.params);
}

/** Multi-row INSERT (optionally ON CONFLICT DO UPDATE of the given columns), in chunks. */
function writeRows(db: SqliteDb, table: TableSpec, cols: string[], rows: Row[], upsert: boolean): void {
  if (!rows.length) return;
  const perStmt = Math.max(1, Math.min(500, Math.floor(MAX_PARAMS / cols.length)));
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  let tail = '';
  if (upsert) {
    const key = requireKey(table);
    const set = cols.filter((c) => !key.includes(c));
    tail = ` ON CONFLICT (${key.map(qi).join(', ')}) DO ${set.length ? `UPDATE SET ${set.map((c) => `${qi(c)} = excluded.${qi(c)}`).join(', ')}` : 'NOTHING'}`;
  }
  const sqlFor = (n: number) => `INSERT INTO ${qi(table.name)} (${cols.map(qi).join(', ')}) VALUES ${Array(n).fill(tuple).join(', ')}${tail}`;
  const params = (chunk: Row[]) => chunk.flatMap((r) => cols.map((c) => encode(r[c])));
  const full = Math.floor(rows.length / perStmt) * perStmt;
  if (full > 0) {
    const stmt = db.prepare(sqlFor(perStmt));
    try {
      for (let i = 0; i < full; i += perStmt) stmt.run(params(rows.slice(i, i + perStmt)));
    } finally {
      stmt.finalize();
    }
  }
  if (full < rows.length) db.run(sqlFor(rows.length - full), params(rows.slice(full)));
}

export function insertRows(db: SqliteDb, table: TableSpec, rows: Row[]): void {
  writeRows(
    db,
    table,
    table.columns.map(([c]) => c),
    rows,
    false,
  );
}

/** rows written (or made canonical) between two turns of the event loop in a long write */
const SLICE_ROWS = 16_384;

/**
 * fn over slices of many items (a day of a keyed realtime metric is hundreds of thousands of
 * rows), with a turn of the event loop between two slices: other work (the engine's next query
 * in batch-run) goes on meanwhile, within the caller's transaction if it holds one.
 */
export async function inSlices<T>(items: T[], fn: (slice: T[]) => void): Promise<void> {
  for (let i = 0; i < items.length; i += SLICE_ROWS) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    fn(items.slice(i, i + SLICE_ROWS));
  }
}

/** Upsert rows grouped by the columns they carry; an update touches only those columns. */
export function upsertRows(db: SqliteDb, table: TableSpec, rows: Row[]): void {
  for (const group of groupByColumns(rows).values()) writeRows(db, table, Object.keys(group[0]!), group, true);
}

export function selectRows(db: SqliteDb, table: TableSpec, f: Filter): Row[] {
  const w = whereSql(f);
  const order = table.columns.map(([c]) => qi(c)).join(', ');
  const sql = `SELECT ${order} FROM ${qi(table.name)}${w.sql} ORDER BY ${order}`;
  return db.all(sql, w.params).map((r) => decodeRow(table, r));
}
