/**
 * The engine's own parser and binder, used to check metric files: json_serialize_sql parses a
 * statement into its syntax tree (only SELECT serializes), and preparing a statement against empty
 * relations of the right types binds it (unknown columns, type errors) and gives the types of its
 * output columns without reading anything.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { PinpipeError, errorMessage } from '../core/errors.js';
import { TOPICS, type RecordType } from '../core/records.js';
import { CURATED_COLUMNS, STAGE_COLUMNS, columnDefs, ident, postingsSelect } from '../engine/schema.js';
import { pinMatchesSql } from '../engine/metrics/realtime.js';
import { MetricFileError, lineOf, type MetricFile } from './file.js';
import { REALTIME_COLUMNS } from './realtime/compile-expr.js';
import { duckdb } from '../engine/duckdb-load.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Ast = any;

/** The relations a historical metric reads, as empty tables and the postings view. */
export const HISTORICAL_RELATIONS = ['pins', 'geo', 'users', 'postings'] as const;

/** Relations of the batch recomputation of realtime metrics, empty, for binding. */
export const CHECK_RELATIONS = { pin: 'd_pin', geo: 'd_geo', user: 'd_user', matches: 'pin_matches' } as const;

export class SqlChecker {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(): Promise<SqlChecker> {
    let instance: DuckDBInstance;
    try {
      // loaded here, not at import: a role whose metric files are cached never loads the engine
      instance = await duckdb().DuckDBInstance.create(':memory:', {
        threads: '1',
        memory_limit: '128MB',
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
      });
    } catch (e) {
      throw new PinpipeError('INTERNAL', `cannot start the DuckDB engine to check metric files: ${errorMessage(e)}`, { cause: e });
    }
    const conn = await instance.connect();
    await conn.run("SET TimeZone = 'UTC'");
    for (const [t, cols] of Object.entries(CURATED_COLUMNS)) await conn.run(`CREATE TABLE ${ident(t)} (${columnDefs(cols)})`);
    await conn.run(`CREATE VIEW postings AS ${postingsSelect()}`);
    for (const t of TOPICS) await conn.run(`CREATE TABLE ${CHECK_RELATIONS[t]} (${columnDefs(STAGE_COLUMNS[t])})`);
    const all = (t: RecordType) => [...REALTIME_COLUMNS[t].keys()];
    await conn.run(
      `CREATE TABLE ${CHECK_RELATIONS.matches} AS ${pinMatchesSql({ ...CHECK_RELATIONS, joinWindowMs: 30_000 }, { pin: all('pin'), geo: all('geo'), user: all('user') })} LIMIT 0`,
    );
    return new SqlChecker(instance, conn);
  }

  /** the statement's syntax tree (one SELECT), or a MetricFileError with the line */
  async parse(file: MetricFile): Promise<Ast> {
    const reader = await this.conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [file.sql]);
    const out = JSON.parse(String(reader.getRowsJS()[0]![0])) as Ast;
    if (out.error) {
      const pos = Number(out.position);
      const line = Number.isFinite(pos) ? file.sqlLine + lineOf(file.sql, pos) - 1 : null;
      const msg = String(out.error_message ?? 'cannot parse');
      const reason = /only SELECT/i.test(msg) ? 'a metric is one SELECT statement (no INSERT, UPDATE, DELETE, DDL or PRAGMA)' : `SQL syntax error: ${msg}`;
      throw new MetricFileError(file.file, line, reason);
    }
    if (out.statements.length !== 1)
      throw new MetricFileError(file.file, null, `a metric file holds one SELECT; this one holds ${out.statements.length} statements`);
    return out.statements[0].node;
  }

  /** bind a statement: its output columns and their engine types, or a MetricFileError with the line */
  async bind(file: MetricFile, sql: string, lineBase = file.sqlLine): Promise<{ name: string; type: string }[]> {
    try {
      const p = await this.conn.prepare(sql);
      return Array.from({ length: p.columnCount }, (_, i) => ({ name: p.columnName(i), type: p.columnType(i).toString() }));
    } catch (e) {
      const msg = errorMessage(e);
      const m = /\nLINE (\d+):/.exec(msg);
      const first = msg.split('\n')[0]!.replace(/^Error: /, '');
      throw new MetricFileError(file.file, m ? lineBase + Number(m[1]) - 1 : null, first);
    }
  }

  /** does the statement still bind when postings holds only these columns? */
  async bindsWithPostings(sql: string, columns: readonly string[]): Promise<boolean> {
    await this.conn.run(`CREATE OR REPLACE VIEW postings AS ${postingsSelect(columns)}`);
    try {
      await this.conn.prepare(sql);
      return true;
    } catch {
      return false;
    } finally {
      await this.conn.run(`CREATE OR REPLACE VIEW postings AS ${postingsSelect()}`);
    }
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/**
 * The relations a historical SELECT reads (base tables and table functions, outside its own CTEs),
 * and whether it reads every column of postings: a star in a SELECT whose FROM reads a base table
 * or a table function directly (a star over a CTE or a subquery reads only what those select).
 */
export function relationsOf(ast: Ast): {
  tables: { name: string; loc: number | null }[];
  functions: { name: string; loc: number | null }[];
  columns: Set<string>;
  star: boolean;
} {
  const tables: { name: string; loc: number | null }[] = [];
  const functions: { name: string; loc: number | null }[] = [];
  const columns = new Set<string>();
  let star = false;
  const isBase = (n: Ast, scope: Set<string>) => !(scope.has(tableName(n)) && !n.schema_name);
  /** whether a FROM clause reads a base table or a table function itself (not through a subquery) */
  const readsDirectly = (from: Ast, scope: Set<string>): boolean =>
    !!from &&
    (from.type === 'TABLE_FUNCTION' ||
      (from.type === 'BASE_TABLE' && isBase(from, scope)) ||
      (from.type === 'JOIN' && (readsDirectly(from.left, scope) || readsDirectly(from.right, scope))));
  const visit = (n: Ast, ctes: Set<string>, direct: boolean): void => {
    if (Array.isArray(n)) {
      for (const x of n) visit(x, ctes, direct);
      return;
    }
    if (!n || typeof n !== 'object') return;
    let scope = ctes;
    if (n.cte_map?.map?.length) {
      scope = new Set(ctes);
      for (const c of n.cte_map.map) scope.add(String(c.key).toLowerCase());
    }
    if (n.type === 'SELECT_NODE') direct = readsDirectly(n.from_table, scope);
    if (n.type === 'BASE_TABLE' && typeof n.table_name === 'string') {
      if (isBase(n, scope)) tables.push({ name: tableName(n), loc: loc(n) });
    }
    if (n.type === 'TABLE_FUNCTION') functions.push({ name: String(n.function?.function_name ?? 'a table function'), loc: loc(n) });
    if (n.class === 'COLUMN_REF' && Array.isArray(n.column_names)) columns.add(String(n.column_names[n.column_names.length - 1]).toLowerCase());
    if (Array.isArray(n.using_columns)) for (const c of n.using_columns) columns.add(String(c).toLowerCase());
    if (n.class === 'STAR' && direct) star = true;
    for (const v of Object.values(n)) if (v && typeof v === 'object') visit(v, scope, direct);
  };
  visit(ast, new Set(), true);
  return { tables, functions, columns, star };
}

const tableName = (n: Ast): string => [n.catalog_name, n.schema_name, n.table_name].filter(Boolean).join('.').toLowerCase();
const loc = (n: Ast): number | null => (typeof n.query_location === 'number' && n.query_location < 1e12 ? n.query_location : null);
