/**
 * The lake as SQL views: raw_pin, raw_geo, raw_user over raw/<topic>/**.ndjson.gz and pins, geo,
 * users over curated/<table>/**.parquet (one row per ind across all days: the latest ingested_at
 * wins, ties by the larger event_id; the same view the historical metrics read). Every view
 * exists with the right columns even when its zone is empty.
 */
import path from 'node:path';
import { TOPICS } from '../core/records.js';
import type { Lake } from '../connectors/lake/types.js';
import type { Engine } from './duckdb.js';
import { sqlString } from './duckdb.js';
import { CURATED_COLUMNS, CURATED_TABLES, RAW_COLUMNS, columnList, columnStruct, emptySelect, ident, type Columns } from './schema.js';

export interface LakeDirs {
  /** local directory holding the lake's `raw/` prefix */
  raw: string;
  /** local directory holding the lake's `curated/` prefix */
  curated: string;
}

export async function lakeDirs(lake: Lake): Promise<LakeDirs> {
  return { raw: await lake.localDir('raw/'), curated: await lake.localDir('curated/') };
}

// File name patterns exclude the lake's temporary files (`.tmp.` prefix).
export const rawGlob = (rawDir: string, topic: string): string => path.join(rawDir, topic, 'dt=*', 'hr=*', `${topic}+*.ndjson.gz`);
export const curatedGlob = (curatedDir: string, table: string): string => path.join(curatedDir, table, 'dt=*', 'part-*.parquet');

export async function hasFiles(engine: Engine, glob: string): Promise<boolean> {
  const rows = await engine.all('SELECT count(*) AS n FROM glob($1)', [glob]);
  return Number(rows[0]?.n ?? 0) > 0;
}

/** SELECT over NDJSON files with explicit columns (unknown fields ignored, bad values → NULL). */
export function readJsonSql(files: string, cols: Columns, opts: { ignoreErrors?: boolean } = {}): string {
  return `SELECT ${columnList(cols)} FROM read_json(${files}, format = 'newline_delimited', hive_partitioning = false, ` +
    `ignore_errors = ${opts.ignoreErrors ? 'true' : 'false'}, columns = ${columnStruct(cols)})`;
}

/**
 * The latest row per ind (largest ingested_at, then largest event_id) of a relation with the
 * given columns. arg_max over the whole row is much cheaper than a window over wide rows.
 */
export function latestPerInd(fromSql: string, cols: Columns): string {
  return `SELECT ${columnList(cols)} FROM (SELECT unnest(arg_max(r, (r.ingested_at, r.event_id))) FROM (${fromSql}) r GROUP BY r.ind)`;
}

/**
 * Register the views. With `curatedTables`, pins, geo and users are instead materialized once as
 * temporary tables (batch-run runs eight metrics over them) and the raw views are skipped.
 */
export async function registerLakeViews(engine: Engine, dirs: LakeDirs, opts: { curatedTables?: boolean } = {}): Promise<void> {
  for (const topic of opts.curatedTables ? [] : TOPICS) {
    const cols = RAW_COLUMNS[topic];
    const glob = rawGlob(dirs.raw, topic);
    // a line that is not a stamped record (no event_id) is not shown; wrongly typed fields read as NULL
    const body = (await hasFiles(engine, glob)) ? `${readJsonSql(sqlString(glob), cols, { ignoreErrors: true })} WHERE event_id IS NOT NULL` : emptySelect(cols);
    await engine.run(`CREATE OR REPLACE VIEW ${ident(`raw_${topic}`)} AS ${body}`);
  }
  for (const table of CURATED_TABLES) {
    const cols = CURATED_COLUMNS[table];
    const glob = curatedGlob(dirs.curated, table);
    const body = (await hasFiles(engine, glob))
      ? latestPerInd(`SELECT ${columnList(cols)} FROM read_parquet(${sqlString(glob)}, hive_partitioning = false)`, cols)
      : emptySelect(cols);
    await engine.run(`CREATE OR REPLACE ${opts.curatedTables ? 'TEMP TABLE' : 'VIEW'} ${ident(table)} AS ${body}`);
  }
}
