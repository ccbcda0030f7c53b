/**
 * `pinpipe query --store`: exactly one read-only query, as the database itself parses it. (A
 * scanner of our own took backslash for an escape, as MySQL does, and so let
 * `SELECT '\'; DELETE FROM batch_runs; --'` pass on SQLite, where a backslash is an ordinary
 * character and that text is three statements.)
 *
 * A statement is accepted when the database prepares it as the subquery of `SELECT EXISTS (…)`
 * (queryCheckSql): only a query expression fits there (SELECT, WITH … SELECT, VALUES, their
 * UNIONs); any other statement, a second statement, INTO OUTFILE, PRAGMA, ATTACH … is a syntax
 * error. Why that is exact: run on its own, the text executes only if it is one statement whose
 * parentheses balance (by that database's own tokenizer, comments and quoting included); then the
 * wrapper's closing parenthesis closes exactly after it, so the database parsed exactly this text
 * as a subquery. Nothing is executed by the check. The statement then runs on its own, and the
 * database enforces read-only as a second line (SQLite query_only, MySQL a READ ONLY transaction).
 */
import { PinpipeError } from '../../core/errors.js';

const ONE_QUERY = 'only one read-only query is allowed: SELECT, WITH … SELECT or VALUES (and SHOW TABLES)';

export function notOneQuery(why: string): PinpipeError {
  return new PinpipeError('QUERY_INVALID', `${ONE_QUERY}; the store says: ${why}`);
}

/** The statement without trailing whitespace and semicolons; an empty one is refused. */
export function trimStatement(sql: string): string {
  const s = sql.replace(/[\s;]+$/, '');
  if (!/\S/.test(s)) throw new PinpipeError('QUERY_INVALID', `the query is empty; ${ONE_QUERY}`);
  return s;
}

/** What the database must be able to prepare for `sql` to be one query (the line breaks end a trailing comment). */
export function queryCheckSql(sql: string): string {
  return `SELECT EXISTS (\n${sql}\n)`;
}

/**
 * MySQL reads any server file the account may read with LOAD_FILE(), from inside a query, read-only
 * transaction or not: refused by name (anywhere in the text, so no quoting can hide it).
 */
export function refuseFileFunctions(sql: string): void {
  if (/load_file/i.test(sql)) throw new PinpipeError('QUERY_INVALID', `LOAD_FILE() reads files of the database server and is not allowed; ${ONE_QUERY}`);
}

const SHOW_TABLES = /^\s*show\s+tables\s*;?\s*$/i;

/**
 * `SHOW TABLES` (as in MySQL and DuckDB), the same on both stores: the query listing the store's
 * tables (`table_name`), or null for any other statement.
 */
export function showTablesSql(kind: 'embedded' | 'mysql', sql: string): string | null {
  if (!SHOW_TABLES.test(sql)) return null;
  return kind === 'embedded'
    ? "SELECT name AS table_name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    : 'SELECT table_name AS table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name';
}

/** The store's tables with their columns (`table_name`, `columns`: "name TYPE, …"), for `query --list`. */
export function tablesWithColumnsSql(kind: 'embedded' | 'mysql'): string {
  return kind === 'embedded'
    ? "SELECT m.name AS table_name, group_concat(p.name || ' ' || p.type, ', ') AS columns FROM sqlite_schema AS m, pragma_table_info(m.name) AS p " +
        "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' GROUP BY m.name ORDER BY m.name"
    : "SELECT table_name AS table_name, GROUP_CONCAT(CONCAT(column_name, ' ', column_type) ORDER BY ordinal_position SEPARATOR ', ') AS columns " +
        'FROM information_schema.columns WHERE table_schema = DATABASE() GROUP BY table_name ORDER BY table_name';
}
