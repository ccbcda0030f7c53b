/**
 * SQL for a TableSpec on MySQL/MariaDB: DDL and the statements of the store operations.
 * Identifiers come from the table specs, quoted with backticks; values are always placeholders.
 * Types: text key → VARCHAR(191), other text → TEXT, int → INT, bigint → BIGINT, double →
 * DOUBLE, timestamp → DATETIME(3) holding UTC, bool → TINYINT(1). Tables use utf8mb4_bin so that
 * keys compare and sort byte-wise, exactly as in the embedded store.
 */
import type { ColumnType, Row, TableSpec } from '../../core/tables.js';
import { requireKey, type Value } from './values.js';

export const qb = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

export function mysqlType(table: TableSpec, [name, type]: [string, ColumnType]): string {
  const key = table.key?.includes(name) ?? false;
  const t: Record<ColumnType, string> = {
    text: key ? 'VARCHAR(191)' : 'TEXT',
    int: 'INT',
    bigint: 'BIGINT',
    double: 'DOUBLE',
    timestamp: 'DATETIME(3)',
    bool: 'TINYINT(1)',
  };
  return `${t[type]}${key ? ' NOT NULL' : ' NULL'}`;
}

export function createTableSql(table: TableSpec): string {
  const cols = table.columns.map((c) => `${qb(c[0])} ${mysqlType(table, c)}`);
  if (table.key?.length) cols.push(`PRIMARY KEY (${table.key.map(qb).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${qb(table.name)} (${cols.join(', ')}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

/** do the columns read from information_schema (name, COLUMN_TYPE, COLUMN_KEY) match the spec's? */
export function sameColumns(table: TableSpec, have: { c: string; t: string; k: string }[]): boolean {
  if (have.length !== table.columns.length) return false;
  return table.columns.every(([name, type], i) => {
    const h = have[i]!;
    const want = mysqlType(table, [name, type])
      .replace(/ (NOT )?NULL$/, '')
      .toLowerCase();
    const key = table.key?.includes(name) ?? false;
    return (
      h.c === name &&
      h.t
        .toLowerCase()
        .replace(/^int\(\d+\)$/, 'int')
        .replace(/^bigint\(\d+\)$/, 'bigint') === want &&
      (h.k === 'PRI') === key
    );
  });
}

export function addColumnSql(table: TableSpec, col: [string, ColumnType]): string {
  return `ALTER TABLE ${qb(table.name)} ADD COLUMN ${qb(col[0])} ${mysqlType(table, col)}`;
}

/** A normalized value as a MySQL parameter: ISO timestamps as 'YYYY-MM-DD HH:MM:SS.mmm' (UTC), booleans as 0/1. */
export function encodeMysql(type: ColumnType, v: Value | undefined): string | number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (type === 'timestamp' && typeof v === 'string') return v.slice(0, 23).replace('T', ' ');
  return v;
}

export interface Statement {
  sql: string;
  params: (string | number | null)[];
}

export interface MysqlFilter {
  where: [string, Value][];
  range?: { column: string; from: Value; to: Value };
}

const typeOf = (table: TableSpec, col: string): ColumnType => table.columns.find(([c]) => c === col)![1];

export function whereSql(table: TableSpec, f: MysqlFilter): Statement {
  const parts: string[] = [];
  const params: (string | number | null)[] = [];
  for (const [col, v] of f.where) {
    if (v === null) parts.push(`${qb(col)} IS NULL`);
    else {
      parts.push(`${qb(col)} = ?`);
      params.push(encodeMysql(typeOf(table, col), v));
    }
  }
  if (f.range) {
    const t = typeOf(table, f.range.column);
    parts.push(`${qb(f.range.column)} >= ? AND ${qb(f.range.column)} < ?`);
    params.push(encodeMysql(t, f.range.from), encodeMysql(t, f.range.to));
  }
  return { sql: parts.length ? ` WHERE ${parts.join(' AND ')}` : '', params };
}

export function deleteSql(table: TableSpec, f: MysqlFilter): Statement {
  const w = whereSql(table, f);
  return { sql: `DELETE FROM ${qb(table.name)}${w.sql}`, params: w.params };
}

export function selectSql(table: TableSpec, f: MysqlFilter): Statement {
  const w = whereSql(table, f);
  const cols = table.columns.map(([c]) => qb(c)).join(', ');
  return { sql: `SELECT ${cols} FROM ${qb(table.name)}${w.sql} ORDER BY ${cols}`, params: w.params };
}

/** Multi-row INSERT statements (ON DUPLICATE KEY UPDATE of the given columns when upsert), ≤ 1000 rows each. */
export function insertSqls(table: TableSpec, cols: string[], rows: Row[], upsert: boolean): Statement[] {
  const perStmt = Math.max(1, Math.min(1000, Math.floor(60_000 / cols.length)));
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  let tail = '';
  if (upsert) {
    const key = requireKey(table);
    const set = cols.filter((c) => !key.includes(c));
    const assign = set.length ? set.map((c) => `${qb(c)} = VALUES(${qb(c)})`) : [`${qb(key[0]!)} = ${qb(key[0]!)}`];
    tail = ` ON DUPLICATE KEY UPDATE ${assign.join(', ')}`;
  }
  const types = cols.map((c) => typeOf(table, c));
  const out: Statement[] = [];
  for (let i = 0; i < rows.length; i += perStmt) {
    const chunk = rows.slice(i, i + perStmt);
    out.push({
      sql: `INSERT INTO ${qb(table.name)} (${cols.map(qb).join(', ')}) VALUES ${Array(chunk.length).fill(tuple).join(', ')}${tail}`,
      params: chunk.flatMap((r) => cols.map((c, j) => encodeMysql(types[j]!, r[c]))),
    });
  }
  return out;
}
