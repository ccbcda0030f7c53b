/**
 * First line of defence for `pinpipe query --store`: accept one SELECT or WITH statement only.
 * The database enforces read-only as well (SQLite `PRAGMA query_only`, MySQL read-only
 * transaction); this check gives a clear error before anything runs.
 */
import { PinpipeError } from '../../core/errors.js';

// statements or clauses that write, or reach outside the database, even inside a SELECT/WITH
const FORBIDDEN = /\b(insert|update|delete|drop|create|alter|truncate|attach|detach|pragma|vacuum|reindex|grant|revoke|into|outfile|dumpfile|load_extension|load_file)\b/i;

/** The SQL text outside string literals, quoted identifiers and comments (each replaced by a space). */
export function codeOutsideLiterals(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      out += ' ';
    } else if (c === '#') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      out += ' ';
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw refuse('unterminated comment');
      i = end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw refuse('unterminated quoted text');
        if (sql[j] === '\\' && c !== '[' && c !== '`') j += 2;
        else if (sql[j] === close && sql[j + 1] === close && c !== '[') j += 2;
        else if (sql[j] === close) break;
        else j++;
      }
      i = j + 1;
      out += c === "'" ? " '' " : ' _q_ ';
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function refuse(why: string): PinpipeError {
  return new PinpipeError('QUERY_INVALID', `only one read-only SELECT or WITH statement is allowed: ${why}`);
}

/** Returns the statement without trailing semicolons; throws QUERY_INVALID otherwise. */
export function assertReadOnlySql(sql: string): string {
  const trimmed = sql.trim().replace(/[;\s]+$/, '');
  const code = codeOutsideLiterals(trimmed).trim();
  if (!code) throw refuse('the query is empty');
  if (code.includes(';')) throw refuse('multiple statements');
  const first = /^\(*\s*([a-z]+)/i.exec(code)?.[1]?.toLowerCase();
  if (first !== 'select' && first !== 'with') throw refuse(`it starts with ${first ? first.toUpperCase() : 'something else'}`);
  const bad = FORBIDDEN.exec(code);
  if (bad) throw refuse(`${bad[1]!.toUpperCase()} is not allowed`);
  return trimmed;
}
