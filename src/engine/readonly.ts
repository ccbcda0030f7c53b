/**
 * `pinpipe query` accepts exactly one read-only statement: SELECT (incl. WITH, VALUES, FROM-first),
 * DESCRIBE, SHOW, SUMMARIZE, or EXPLAIN [ANALYZE] of one of those. The check uses DuckDB's own
 * parser (json_serialize_sql serializes SELECT statements only; DESCRIBE, SHOW and SUMMARIZE are
 * SELECTs over a SHOW_REF) and, as a second line, the prepared statement's type. The SQL is passed
 * as a bound parameter, never spliced into other SQL.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { PinpipeError, errorMessage } from '../core/errors.js';

const ALLOWED = 'only one read-only statement is allowed: SELECT (or WITH), EXPLAIN, DESCRIBE, SHOW or SUMMARIZE';

const refuse = (why: string) => new PinpipeError('QUERY_INVALID', `${why}; ${ALLOWED}`);

/** Leading comments and whitespace removed. */
function stripLeading(sql: string): string {
  let s = sql;
  for (;;) {
    const t = s.replace(/^\s+/, '');
    if (t.startsWith('--')) s = t.slice(t.indexOf('\n') < 0 ? t.length : t.indexOf('\n') + 1);
    else if (t.startsWith('/*')) s = t.indexOf('*/') < 0 ? '' : t.slice(t.indexOf('*/') + 2);
    else return t;
  }
}

const firstWord = (sql: string) => (/^[A-Za-z_]+/.exec(stripLeading(sql))?.[0] ?? '').toUpperCase();

async function isSelect(conn: DuckDBConnection, sql: string): Promise<boolean> {
  const reader = await conn.runAndReadAll('SELECT json_serialize_sql(CAST($1 AS VARCHAR)) AS j', [sql]);
  const json = String(reader.getRowObjectsJS()[0]?.j ?? '');
  try {
    const parsed = JSON.parse(json) as { error?: boolean; statements?: unknown[] };
    return parsed.error === false && Array.isArray(parsed.statements) && parsed.statements.length === 1;
  } catch {
    return false;
  }
}

/** EXPLAIN [ANALYZE] [(options)] <statement> → the statement; null if sql is not an EXPLAIN. */
function explained(sql: string): string | null {
  const m = /^EXPLAIN\s+(?:ANALY[SZ]E\s+)?(?:\([^)]*\)\s*)?/i.exec(stripLeading(sql));
  return m ? stripLeading(sql).slice(m[0].length) : null;
}

/** Throws QUERY_INVALID unless sql is exactly one allowed read-only statement. */
export async function assertReadOnly(conn: DuckDBConnection, sql: string): Promise<void> {
  if (stripLeading(sql).replace(/[;\s]+$/, '') === '') throw refuse('the query is empty');
  let count: number;
  try {
    count = (await conn.extractStatements(sql)).count;
  } catch (e) {
    throw new PinpipeError('QUERY_INVALID', `SQL error: ${errorMessage(e)}`);
  }
  if (count !== 1) throw refuse(`got ${count} statements`);
  const inner = explained(sql);
  const target = inner ?? sql;
  if (inner !== null && explained(inner) !== null) throw refuse('nested EXPLAIN');
  if (!(await isSelect(conn, target))) {
    const word = firstWord(target) || 'this statement';
    throw refuse(`${inner !== null ? 'EXPLAIN of ' : ''}${word} is not read-only`);
  }
}
