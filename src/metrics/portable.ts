/**
 * The portable SQL subset of the historical metric files (docs/metrics.md): what batch-run runs
 * the same on DuckDB and on Spark SQL (spark/pinpipe_batch.py runs with ANSI mode and double-quoted
 * identifiers). `metrics check --engine spark` refuses a file that uses a construct only DuckDB
 * accepts (or that the two compute differently), naming the file, the line and the construct;
 * then Spark itself analyses every file (spark.ts: runSparkCheck) for what a list cannot foresee.
 */
import { MetricFileError, lineOf, type MetricFile } from './file.js';

interface Construct {
  pattern: RegExp;
  construct: string;
  instead: string;
}

const NOT_PORTABLE: Construct[] = [
  { pattern: /\bQUALIFY\b/i, construct: 'QUALIFY', instead: 'rank the rows in a subquery (the window function as a column) and filter with WHERE' },
  {
    pattern: /\b(quantile|quantile_disc|quantile_cont|reservoir_quantile|approx_quantile)\s*\(/i,
    construct: 'quantile functions',
    instead: 'percentile_disc(p) WITHIN GROUP (ORDER BY x) or percentile_cont(p) WITHIN GROUP (ORDER BY x)',
  },
  { pattern: /::/, construct: 'the :: cast', instead: 'CAST(x AS type)' },
  { pattern: /\/\//, construct: 'the // integer division', instead: 'CAST(floor(a / b) AS BIGINT)' },
  { pattern: /\[/, construct: 'list literals and subscripts (1-based in DuckDB, 0-based in Spark)', instead: 'element_at(list, i), 1-based in both' },
  { pattern: /\{/, construct: 'struct literals', instead: 'named_struct is not portable either: return plain columns' },
  { pattern: /\*\s*(EXCLUDE|REPLACE|RENAME)\b/i, construct: 'SELECT * EXCLUDE/REPLACE', instead: 'name the columns' },
  { pattern: /\bCOLUMNS\s*\(/i, construct: 'COLUMNS(...)', instead: 'name the columns' },
  { pattern: /\bORDER\s+BY\s+ALL\b/i, construct: 'ORDER BY ALL', instead: 'name the columns' },
  { pattern: /\b(USING\s+SAMPLE|TABLESAMPLE)\b/i, construct: 'sampling', instead: 'no sampling (the results would differ)' },
  { pattern: /\b(PIVOT|UNPIVOT)\b/i, construct: 'PIVOT/UNPIVOT', instead: 'conditional aggregates: count(CASE WHEN ... END)' },
  { pattern: /\b(ASOF|POSITIONAL)\s+JOIN\b/i, construct: 'ASOF/POSITIONAL JOIN', instead: 'a plain join' },
  { pattern: /\b(unnest|generate_series|range)\s*\(/i, construct: 'unnest/generate_series/range', instead: 'not portable: Spark uses explode and sequence' },
  {
    pattern:
      /\b(string_split|string_split_regex|str_split|list_\w+|array_length|struct_pack|strftime|strptime|epoch_ms|epoch|arg_max|arg_min|argmax|argmin|regexp_matches|string_agg|group_concat|list|histogram|today|printf|format)\s*\(/i,
    construct: 'a DuckDB-only function',
    instead: 'functions both engines know: docs/metrics.md, "The portable SQL subset"',
  },
];

/** the SQL with its comments and string literals blanked out (same length, so positions stay) */
function code(sql: string): string {
  return sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|"(?:[^"]|"")*"/g, (m) => (m.startsWith('"') ? m : ' '.repeat(m.length)));
}

/** a MetricFileError for the first construct of the file outside the portable subset, else null */
export function portabilityProblem(file: MetricFile): MetricFileError | null {
  if (file.kind !== 'historical') return null;
  const text = code(file.sql);
  for (const c of NOT_PORTABLE) {
    const m = c.pattern.exec(text);
    if (!m) continue;
    const name = /function|quantile|unnest/.test(c.construct) ? `${c.construct} (${m[0].replace(/\s*\($/, '')})` : c.construct;
    return new MetricFileError(
      file.file,
      file.sqlLine + lineOf(file.sql, m.index) - 1,
      `not in the portable SQL subset (runs on DuckDB only): ${name}; instead: ${c.instead}`,
    );
  }
  return null;
}
