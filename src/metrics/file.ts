/**
 * A metric file: `<id>.sql`, header comments (`-- key: value`), then one SELECT (docs/metrics.md).
 * Pure: text in, a parsed definition or a MetricFileError (file, line, reason) out.
 *
 *   -- title: Most common tag per category
 *   -- kind: historical            (historical | realtime; historical is the default)
 *   -- keys: category              (the columns that identify a row)
 *   -- table: tag_by_category      (optional: the store table; default the id in lower case)
 *   -- description: free text      (optional)
 *   SELECT ...
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

export type MetricKind = 'historical' | 'realtime';

export interface MetricFile {
  /** from the file name: `<id>.sql` */
  id: string;
  /** the file's path (for messages) */
  file: string;
  builtin: boolean;
  title: string;
  kind: MetricKind;
  /** declared key columns, in order ([] when not given) */
  keys: string[];
  /** the store table name (without the rt_ / batch_ prefix of realtime tables) */
  table: string;
  description: string;
  /** the SQL text after the header */
  sql: string;
  /** 1-based line of the file where `sql` begins */
  sqlLine: number;
  /** sha256 of the definition (header values and SQL, whitespace-normalized), 16 hex digits */
  hash: string;
}

/** A file refused, with where and why (exit 2). */
export class MetricFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: ${reason}`);
    this.name = 'MetricFileError';
  }
}

export const ID_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
const TABLE_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;
const HEADER = /^--\s*([A-Za-z_][A-Za-z0-9_-]*)\s*:\s*(.*?)\s*$/;
const HEADER_KEYS = ['title', 'kind', 'keys', 'table', 'description'] as const;

/** 1-based line of a character offset in a text. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export function parseMetricFile(file: string, text: string, opts: { builtin?: boolean } = {}): MetricFile {
  const base = path.basename(file);
  if (!base.endsWith('.sql')) throw new MetricFileError(file, null, 'a metric file is named <id>.sql');
  const id = base.slice(0, -4);
  if (!ID_PATTERN.test(id))
    throw new MetricFileError(file, null, `the id "${id}" (the file name) must start with a letter and hold only letters, digits and "_" (at most 63)`);
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const header: Partial<Record<(typeof HEADER_KEYS)[number], { value: string; line: number }>> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '') continue;
    if (!l.startsWith('--')) break;
    const m = HEADER.exec(l);
    if (!m) continue; // a plain comment
    const key = m[1]!.toLowerCase();
    if (!(HEADER_KEYS as readonly string[]).includes(key)) {
      throw new MetricFileError(file, i + 1, `unknown header "${m[1]}" (allowed: ${HEADER_KEYS.join(', ')}; a comment without "name:" is free text)`);
    }
    if (header[key as (typeof HEADER_KEYS)[number]]) throw new MetricFileError(file, i + 1, `header "${key}" is given twice`);
    header[key as (typeof HEADER_KEYS)[number]] = { value: m[2]!, line: i + 1 };
  }
  const sqlLine = i + 1;
  const sql = lines.slice(i).join('\n').trim().replace(/;\s*$/, '');
  if (sql === '') throw new MetricFileError(file, null, 'no SQL after the header: a metric file holds one SELECT');

  const kindText = (header.kind?.value ?? 'historical').toLowerCase();
  if (kindText !== 'historical' && kindText !== 'realtime')
    throw new MetricFileError(file, header.kind!.line, `kind must be "historical" or "realtime", got "${header.kind!.value}"`);
  const keys = header.keys
    ? header.keys.value
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean)
    : [];
  for (const k of keys) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new MetricFileError(file, header.keys!.line, `key "${k}" is not a column name`);
  if (new Set(keys).size !== keys.length) throw new MetricFileError(file, header.keys!.line, 'a key column is listed twice');
  const table = header.table?.value ?? id.toLowerCase();
  if (!TABLE_PATTERN.test(table))
    throw new MetricFileError(
      file,
      header.table?.line ?? null,
      `table "${table}" must be lower case letters, digits and "_", starting with a letter (at most 48)`,
    );
  const title = header.title?.value || id;
  const description = header.description?.value ?? '';
  const norm = [kindText, keys.join(','), table, sql.replace(/\s+/g, ' ')].join('\n');
  const hash = createHash('sha256').update(norm).digest('hex').slice(0, 16);
  return { id, file, builtin: opts.builtin ?? false, title, kind: kindText, keys, table, description, sql, sqlLine, hash };
}
