/**
 * DuckDB's JS values → plain values for output and for the store: BIGINT → number when it is a
 * safe integer (else its decimal string), TIMESTAMP/DATE → ISO 8601 strings, lists recursively.
 */
import type { JS } from '@duckdb/node-api';

export type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };
export type PlainRow = Record<string, Plain>;

export function toPlain(v: unknown): Plain {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'bigint':
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'string':
    case 'boolean':
      return v;
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'object') {
    const out: Record<string, Plain> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toPlain(x);
    return out;
  }
  return String(v);
}

export function toPlainRows(columns: string[], rows: JS[][]): PlainRow[] {
  return rows.map((r) => {
    const o: PlainRow = {};
    for (let i = 0; i < columns.length; i++) o[columns[i]!] = toPlain(r[i]);
    return o;
  });
}
