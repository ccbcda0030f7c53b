/**
 * One day in the engine: load the staged cleaned records, de-duplicate by event_id, write the
 * curated Parquet files (one row per ind within the day) and compute R1–R5 for the day.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { TOPICS, type RecordType } from '../../core/records.js';
import { REALTIME_BATCH, type RealtimeId, type Row } from '../../core/tables.js';
import type { Lake } from '../../connectors/lake/types.js';
import { sqlDayStart, sqlString, sqlStringList, type Engine } from '../../engine/duckdb.js';
import { pinMatchesSql, realtimeSql, unmatchedSql } from '../../engine/metrics/index.js';
import { CURATED_COLUMNS, STAGE_COLUMNS, TABLE_OF, columnDefs, columnStruct, curatedFromStage, type Columns } from '../../engine/schema.js';
import { latestPerInd } from '../../engine/views.js';

/** Relation names of the de-duplicated cleaned records. */
export const DEDUP = { pin: 'd_pin', geo: 'd_geo', user: 'd_user' } as const satisfies Record<RecordType, string>;

/** SELECT over staged CSV files (see encode.ts). */
export function readStagedSql(files: string[], cols: Columns): string {
  return `SELECT * FROM read_csv(${sqlStringList(files)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
    `new_line = '\\n', allow_quoted_nulls = false, hive_partitioning = false, columns = ${columnStruct(cols)})`;
}

/**
 * Load staged CSV into d_<topic>: one copy per event_id (the smallest ingested_at, then the
 * smallest (_partition, _offset)).
 */
export async function loadStaged(engine: Engine, files: Record<RecordType, string[]>): Promise<void> {
  for (const topic of TOPICS) {
    const cols = STAGE_COLUMNS[topic];
    await engine.run(`CREATE OR REPLACE TEMP TABLE s_${topic} (${columnDefs(cols)})`);
    if (files[topic].length) await engine.run(`INSERT INTO s_${topic} ${readStagedSql(files[topic], cols)}`);
    // only the (few) repeated event_ids need sorting: unique ones pass through
    await engine.run(
      `CREATE OR REPLACE TEMP TABLE ${DEDUP[topic]} AS WITH dup AS (SELECT event_id FROM s_${topic} GROUP BY event_id HAVING count(*) > 1) ` +
        `SELECT * FROM s_${topic} ANTI JOIN dup USING (event_id) UNION ALL ` +
        `SELECT * FROM (SELECT * FROM s_${topic} SEMI JOIN dup USING (event_id)) ` +
        `QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingested_at, _partition NULLS LAST, _offset NULLS LAST) = 1`,
    );
    await engine.run(`DROP TABLE s_${topic}`);
  }
}

export async function dropStaged(engine: Engine): Promise<void> {
  for (const topic of TOPICS) await engine.run(`DROP TABLE IF EXISTS ${DEDUP[topic]}`);
}

const dayFilter = (day: string) => `ingested_at >= ${sqlDayStart(day)} AND ingested_at < ${sqlDayStart(day)} + INTERVAL 1 DAY`;

export interface CuratedFile {
  key: string;
  file: string;
  rows: number;
}

/** Write the day's curated Parquet files to tmpDir (not yet to the lake). */
export async function writeCurated(engine: Engine, day: string, tmpDir: string): Promise<CuratedFile[]> {
  const out: CuratedFile[] = [];
  for (const topic of TOPICS) {
    const table = TABLE_OF[topic];
    const cols = CURATED_COLUMNS[table];
    const file = path.join(tmpDir, `${table}.parquet`);
    const select = latestPerInd(`SELECT ${curatedFromStage(table)} FROM ${DEDUP[topic]} WHERE ${dayFilter(day)}`, cols);
    const res = await engine.all(`COPY (${select} ORDER BY ind) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
    out.push({ key: `curated/${table}/dt=${day}/part-0.parquet`, file, rows: Number(res[0]?.Count ?? 0) });
  }
  return out;
}

/** Put the curated files into the lake (each put is atomic). */
export async function publishCurated(lake: Lake, files: CuratedFile[]): Promise<void> {
  for (const f of files) {
    await lake.put(f.key, await readFile(f.file));
    await rm(f.file, { force: true });
  }
}

export interface DayRealtime {
  rows: Record<RealtimeId, Row[]>;
  unmatchedGeo: number;
  unmatchedUser: number;
}

/** R1–R5 of the day's minutes, from the de-duplicated records (neighbour margins included). */
export async function computeRealtime(engine: Engine, day: string, joinWindowMs: number): Promise<DayRealtime> {
  const from = Date.parse(`${day}T00:00:00Z`);
  const inputs = { ...DEDUP, joinWindowMs, from, to: from + 86_400_000 };
  await engine.run(`CREATE OR REPLACE TEMP TABLE pin_matches AS ${pinMatchesSql(inputs)}`);
  try {
    const rows = {} as Record<RealtimeId, Row[]>;
    for (const id of Object.keys(REALTIME_BATCH) as RealtimeId[]) rows[id] = (await engine.all(realtimeSql(id, inputs, 'pin_matches'))) as Row[];
    const [u] = await engine.all(unmatchedSql(inputs, 'pin_matches'));
    return { rows, unmatchedGeo: Number(u?.unmatched_geo ?? 0), unmatchedUser: Number(u?.unmatched_user ?? 0) };
  } finally {
    await engine.run('DROP TABLE IF EXISTS pin_matches');
  }
}
