/**
 * Comparing Parquet files by their rows, for tests of curated files: batch-run writes a curated
 * day file's rows in no particular order (docs/design.md), so two runs give the same rows, not the
 * same bytes; and a file with columns dropped from its footer must hold the engine's own copy's
 * rows at the same positions.
 */
import type { Config } from '../../src/core/config.js';
import { openEngine, sqlString, type Engine } from '../../src/engine/duckdb.js';

/** Each file's rows as text, sorted: equal exactly when the files hold the same rows. */
export async function rowsOfFiles(cfg: Config, files: string[]): Promise<string[][]> {
  const engine = await openEngine(cfg);
  try {
    const out: string[][] = [];
    for (const f of files) out.push((await engine.all(`SELECT t::VARCHAR AS r FROM read_parquet(${sqlString(f)}) t ORDER BY r`)).map((x) => String(x.r)));
    return out;
  } finally {
    engine.close();
  }
}

/**
 * Rows of Parquet file a not in b plus those of b not in a (`cols`: a SELECT list), as multisets,
 * or with their positions in the files (`positions`).
 */
export async function differingRows(engine: Engine, a: string, b: string, cols: string, positions: boolean): Promise<number> {
  const side = (p: string) => `(SELECT ${positions ? 'file_row_number, ' : ''}${cols} FROM read_parquet(${sqlString(p)}, file_row_number = true))`;
  const [d] = await engine.all(
    `SELECT (SELECT count(*) FROM (${side(a)} EXCEPT ALL ${side(b)})) + (SELECT count(*) FROM (${side(b)} EXCEPT ALL ${side(a)})) AS n`,
  );
  return Number(d?.n);
}
