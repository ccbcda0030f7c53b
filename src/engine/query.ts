/**
 * Ad hoc SQL over the lake: DuckDB with the views of views.ts, locked down to read the lake
 * only (external access limited to the lake's directories, configuration locked), and one
 * read-only statement per call.
 */
import type { Config } from '../core/config.js';
import { PinpipeError, errorMessage } from '../core/errors.js';
import type { Lake } from '../connectors/lake/types.js';
import { openEngine, sqlStringList, type Engine } from './duckdb.js';
import type { Result } from './format.js';
import { assertReadOnly } from './readonly.js';
import { toPlainRows } from './values.js';
import { lakeDirs, registerLakeViews, type LakeDirs } from './views.js';

const SELECT = 1; // StatementType.SELECT
const EXPLAIN = 4; // StatementType.EXPLAIN

/**
 * An engine with the lake views, that can read the lake's files and nothing else. `raw: false`
 * leaves out the raw views (a metric over the curated zone needs none, and on S3 the raw zone
 * would otherwise be mirrored first).
 */
export async function openLakeEngine(cfg: Config, lake: Lake, opts: { raw?: boolean } = {}): Promise<LakeEngine> {
  const engine = await openEngine(cfg);
  try {
    const raw = opts.raw !== false;
    const dirs = raw ? await lakeDirs(lake) : { raw: '', curated: await lake.localDir('curated/') };
    await registerLakeViews(engine, dirs, { raw });
    await engine.run(`SET allowed_directories = ${sqlStringList((raw ? [dirs.raw, dirs.curated] : [dirs.curated]).map((d) => d + '/'))}`);
    await engine.run('SET enable_external_access = false');
    await engine.run('SET lock_configuration = true');
    return Object.assign(engine, { dirs });
  } catch (e) {
    engine.close();
    throw e;
  }
}

/** An engine over the lake, with the local directories its views read. */
export interface LakeEngine extends Engine {
  dirs: LakeDirs;
}

/**
 * Run one read-only statement. With `limit`, at most limit + 1 rows are read: `truncated` says
 * whether there were more than `limit` (without reading them all).
 */
export async function runReadOnly(engine: Engine, sql: string, limit?: number): Promise<Result & { truncated?: boolean }> {
  await assertReadOnly(engine.conn, sql);
  try {
    const prepared = await engine.conn.prepare(sql);
    if (prepared.statementType !== SELECT && prepared.statementType !== EXPLAIN) {
      throw new PinpipeError('QUERY_INVALID', 'only one read-only statement is allowed: SELECT (or WITH), EXPLAIN, DESCRIBE, SHOW or SUMMARIZE');
    }
    const reader = limit === undefined ? await prepared.streamAndReadAll() : await prepared.streamAndReadUntil(limit + 1);
    const columns = reader.columnNames();
    const rows = toPlainRows(columns, reader.getRowsJS());
    if (limit === undefined) return { columns, rows };
    return { columns, rows: rows.slice(0, limit), truncated: rows.length > limit };
  } catch (e) {
    if (e instanceof PinpipeError) throw e;
    throw new PinpipeError('QUERY_INVALID', `SQL error: ${errorMessage(e)}`);
  }
}
