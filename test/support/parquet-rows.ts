/**
 * The rows of Parquet files as sorted text, for tests that compare curated files across runs:
 * batch-run writes a curated day file's rows in no particular order (docs/design.md), so two runs
 * give the same rows, not the same bytes.
 */
import type { Config } from '../../src/core/config.js';
import { openEngine, sqlString } from '../../src/engine/duckdb.js';

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
