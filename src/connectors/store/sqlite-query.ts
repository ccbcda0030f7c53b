/**
 * An ad hoc read-only query on the embedded store (readonly-sql.ts decides what is one query), with
 * values as the table specs declare them: SQLite has no boolean type (bool columns hold 0/1), so a
 * result column that comes straight from a spec's bool column (e.g. `final`) is rendered true/false,
 * as `query --metric` and the MySQL store show it. "Straight from" is what SQLite reports as the
 * column's table (an expression or an alias of another name stays a number).
 */
import { ALL_TABLES, type Row, type TableSpec } from '../../core/tables.js';
import { notOneQuery, queryCheckSql, showTablesSql, trimStatement } from './readonly-sql.js';
import type { SqliteDb } from './sqlite.js';
import { plainValue } from './values.js';

/** table → its bool columns, for the store's own tables and the given ones (the metrics') */
function boolColumns(specs: TableSpec[]): Map<string, Set<string>> {
  return new Map([...ALL_TABLES, ...specs].map((t) => [t.name, new Set(t.columns.filter(([, type]) => type === 'bool').map(([c]) => c))]));
}

/** Rows of one read-only query; QUERY_INVALID (with SQLite's own message) when it is not one. */
export function readOnlyQuery(db: SqliteDb, sql: string, specs: TableSpec[] = []): Row[] {
  const listing = showTablesSql('embedded', sql);
  const stmt = listing ?? trimStatement(sql);
  if (!listing) {
    try {
      db.prepare(queryCheckSql(stmt)).finalize();
    } catch (e) {
      throw notOneQuery((e as Error).message);
    }
  }
  const rows = db.all(stmt).map((r) => {
    const out: Row = {};
    for (const [k, v] of Object.entries(r)) out[k] = plainValue(v);
    return out;
  });
  return withBooleans(db, stmt, rows, boolColumns(specs));
}

function withBooleans(db: SqliteDb, stmt: string, rows: Row[], BOOL_COLUMNS: Map<string, Set<string>>): Row[] {
  const first = rows[0];
  if (!first) return rows;
  const names = new Set([...BOOL_COLUMNS.values()].flatMap((s) => [...s]));
  const candidates = Object.keys(first).filter((c) => names.has(c) && rows.every((r) => r[c] === null || r[c] === 0 || r[c] === 1));
  if (candidates.length === 0) return rows;
  // the table each column comes from (SQLite's column_table_name), from the first row
  const s = db.prepare(stmt);
  let expanded: Record<string, Record<string, unknown>> | null;
  try {
    expanded = s.get(undefined, { expand: true }) as Record<string, Record<string, unknown>> | null;
  } finally {
    s.finalize();
  }
  const bools = candidates.filter((c) => Object.entries(expanded ?? {}).some(([table, cols]) => table !== '$' && c in cols && BOOL_COLUMNS.get(table)?.has(c)));
  if (bools.length === 0) return rows;
  for (const r of rows) for (const c of bools) if (r[c] !== null) r[c] = r[c] === 1;
  return rows;
}
