/**
 * The lake as SQL views: raw_pin, raw_geo, raw_user over raw/<topic>/**.ndjson.gz and pins, geo,
 * users over curated/<table>/**.parquet (one row per ind across all days: the latest ingested_at
 * wins, ties by the larger event_id; the same views the historical metrics read), and postings
 * (the three joined on ind). Every view exists with the right columns even when its zone is empty.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TOPICS } from '../core/records.js';
import type { Lake } from '../connectors/lake/types.js';
import type { Engine } from './duckdb.js';
import { sqlString, sqlStringList } from './duckdb.js';
import { dayFilesOf, readCurrent, stateMatches, type CurrentManifest } from './current.js';
import {
  CURATED_COLUMNS,
  CURATED_TABLES,
  RAW_COLUMNS,
  columnList,
  columnStruct,
  emptySelect,
  ident,
  postingsSelect,
  type Columns,
  type CuratedTable,
} from './schema.js';

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

export async function hasFiles(engine: Engine, glob: string): Promise<boolean> {
  const rows = await engine.all('SELECT count(*) AS n FROM glob($1)', [glob]);
  return Number(rows[0]?.n ?? 0) > 0;
}

/** SELECT over NDJSON files with explicit columns (unknown fields ignored, bad values → NULL). */
export function readJsonSql(files: string, cols: Columns, opts: { ignoreErrors?: boolean } = {}): string {
  return (
    `SELECT ${columnList(cols)} FROM read_json(${files}, format = 'newline_delimited', hive_partitioning = false, ` +
    `ignore_errors = ${opts.ignoreErrors ? 'true' : 'false'}, columns = ${columnStruct(cols)})`
  );
}

/**
 * The latest row per ind (largest ingested_at, then largest event_id) of a relation with the
 * given columns (among them ind, ingested_at, event_id). Only inds that occur more than once are
 * ranked (a grouping on the integer ind finds them); every other row passes through untouched, so
 * a query that reads a few columns reads only those (projection pushdown) and no wide row is
 * ever hashed or sorted. `fromSql` is evaluated once per branch (a scan of files or a table).
 */
export function latestPerInd(fromSql: string, cols: Columns): string {
  const list = columnList(cols);
  const dups = `SELECT ind FROM (${fromSql}) GROUP BY ind HAVING count(*) > 1`;
  return (
    `SELECT ${list} FROM (${fromSql}) WHERE ind NOT IN (${dups}) UNION ALL ` +
    `SELECT ${list} FROM (${fromSql}) WHERE ind IN (${dups}) ` +
    'QUALIFY row_number() OVER (PARTITION BY ind ORDER BY ingested_at DESC, event_id DESC) = 1'
  );
}

/** SELECT of a curated table's current rows (one per ind) over a local copy of the curated zone. */
export function currentTableSql(curatedDir: string, table: CuratedTable, manifest: CurrentManifest | null): string {
  const cols = CURATED_COLUMNS[table];
  const files = dayFilesOf(curatedDir, table);
  if (files.length === 0) return emptySelect(cols);
  const state = manifest?.tables[table];
  const list = sqlStringList(files.map((f) => path.join(curatedDir, table, f.name)));
  const supFile = path.join(curatedDir, table, '_superseded.parquet');
  if (state && stateMatches(state, files) && (state.superseded === 0 || existsSync(supFile))) {
    if (state.superseded === 0) return `SELECT ${columnList(cols)} FROM read_parquet(${list}, hive_partitioning = false)`;
    const sup = sqlString(supFile);
    return (
      `SELECT ${columnList(cols, 't.')} FROM read_parquet(${list}, hive_partitioning = true, hive_types = {'dt': VARCHAR}) t ` +
      `ANTI JOIN read_parquet(${sup}, hive_partitioning = false) s ON s.dt = t.dt AND s.ind = t.ind`
    );
  }
  return latestPerInd(`SELECT ${columnList(cols)} FROM read_parquet(${list}, hive_partitioning = false)`, cols);
}

/** Register the views raw_pin, raw_geo, raw_user (unless `raw: false`) and pins, geo, users. */
export async function registerLakeViews(engine: Engine, dirs: LakeDirs, opts: { raw?: boolean } = {}): Promise<void> {
  for (const topic of opts.raw === false ? [] : TOPICS) {
    const cols = RAW_COLUMNS[topic];
    const glob = rawGlob(dirs.raw, topic);
    // a line that is not a stamped record (no event_id) is not shown; wrongly typed fields read as NULL
    const body = (await hasFiles(engine, glob))
      ? `${readJsonSql(sqlString(glob), cols, { ignoreErrors: true })} WHERE event_id IS NOT NULL`
      : emptySelect(cols);
    await engine.run(`CREATE OR REPLACE VIEW ${ident(`raw_${topic}`)} AS ${body}`);
  }
  const manifest = readCurrent(dirs.curated);
  for (const table of CURATED_TABLES) await engine.run(`CREATE OR REPLACE VIEW ${ident(table)} AS ${currentTableSql(dirs.curated, table, manifest)}`);
  await engine.run(`CREATE OR REPLACE VIEW postings AS ${postingsSelect()}`);
}
