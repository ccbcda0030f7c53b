/**
 * One day in the engine: de-duplicate the loaded cleaned records (load.ts) by event_id, write the
 * curated Parquet files (one row per ind within the day) and compute the realtime metrics' windows
 * of the day.
 */
import path from 'node:path';
import { TOPICS, type RecordType } from '../../core/records.js';
import type { Row } from '../../core/tables.js';
import type { Lake } from '../../connectors/lake/types.js';
import { sqlDayStart, sqlString, sqlStringList, withInsertionOrder, type Engine } from '../../engine/duckdb.js';
import { pinMatchesSql, unmatchedSql, type RealtimeInputs } from '../../engine/metrics/index.js';
import type { PlainRow } from '../../engine/values.js';
import { compareText, keyText } from '../../metrics/realtime/evaluate.js';
import { planSql } from '../../metrics/realtime/sql.js';
import type { RealtimeMetric } from '../../metrics/registry.js';
import { TABLE_OF, columnStruct, curatedFromStage, ident, type Columns } from '../../engine/schema.js';

/** Relation names of the de-duplicated cleaned records. */
export const DEDUP = { pin: 'd_pin', geo: 'd_geo', user: 'd_user' } as const satisfies Record<RecordType, string>;

/** SELECT over staged CSV files (see encode.ts). */
export function readStagedSql(files: string[], cols: Columns): string {
  return (
    `SELECT * FROM read_csv(${sqlStringList(files)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
    `new_line = '\\n', allow_quoted_nulls = false, hive_partitioning = false, columns = ${columnStruct(cols)})`
  );
}

/**
 * De-duplicate a topic's loaded records (load.ts) by event_id: one copy per event_id (the smallest
 * ingested_at, then the smallest (_partition, _offset)). Repeated event_ids are rare (retries):
 * they are found with one grouping of the event_id column and only their later copies are
 * deleted; unique records are never moved or sorted. Then r_<topic>: the inds with more than one
 * record.
 */
export async function dedupTopic(engine: Engine, topic: RecordType): Promise<void> {
  const t = DEDUP[topic];
  const repeated = `SELECT event_id FROM ${t} GROUP BY event_id HAVING count(*) > 1`;
  const [n] = await engine.all(`SELECT count(*) AS n FROM (${repeated})`);
  if (Number(n?.n ?? 0) > 0) {
    await engine.run(
      `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE event_id IN (${repeated}) ` +
        'QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingested_at, _partition NULLS LAST, _offset NULLS LAST) > 1)',
    );
  }
  // inds with more than one record: the curated day and the R2/R3 partner search rank only these
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${REPEATED[topic]} AS SELECT ind FROM ${t} GROUP BY ind HAVING count(*) > 1`);
}

/**
 * Keep only the columns the realtime metrics read (and the join's own): once the curated file of
 * a topic is written, its other columns are dead weight in the engine's memory.
 */
export async function narrowTopic(engine: Engine, topic: RecordType, columns: readonly string[]): Promise<void> {
  const t = DEDUP[topic];
  const keep = new Set(['ind', 'event_id', 'ingested_at', ...columns]);
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${t}_narrow AS SELECT ${[...keep].map(ident).join(', ')} FROM ${t}`);
  await engine.run(`DROP TABLE ${t}`);
  await engine.run(`ALTER TABLE ${t}_narrow RENAME TO ${t}`);
}

export async function dropStaged(engine: Engine): Promise<void> {
  for (const topic of TOPICS) {
    await engine.run(`DROP TABLE IF EXISTS ${DEDUP[topic]}`);
    await engine.run(`DROP TABLE IF EXISTS ${REPEATED[topic]}`);
  }
}

const dayFilter = (day: string) => `ingested_at >= ${sqlDayStart(day)} AND ingested_at < ${sqlDayStart(day)} + INTERVAL 1 DAY`;

/** Relation of the inds with more than one record of a topic (day and margins): r_<topic>. */
export const REPEATED = { pin: 'r_pin', geo: 'r_geo', user: 'r_user' } as const satisfies Record<RecordType, string>;

/**
 * rowids of the day's rows that are not the latest of their ind (largest ingested_at, then
 * largest event_id): only inds with more than one record are ranked.
 */
function supersededInDay(t: string, repeated: string, day: string): string {
  return (
    `SELECT rowid FROM ${t} WHERE ${dayFilter(day)} AND ind IN (SELECT ind FROM ${repeated}) ` +
    'QUALIFY row_number() OVER (PARTITION BY ind ORDER BY ingested_at DESC, event_id DESC) > 1'
  );
}

export interface CuratedFile {
  key: string;
  file: string;
  rows: number;
}

/**
 * Parquet options of the curated files (zstd level 1, no bloom filters, no dictionaries: measured
 * the cheapest to write for a size within 1.5x). Row groups of 61,440 rows, half the engine's
 * default: the sorted copy holds fewer wide rows at once under the memory limit (the pins of 10M
 * raw records: 6.5–7.5 s instead of 8–10.7 s, a file 0.7% larger; BENCHMARKS.md, 2026-12-04);
 * the copy of a table loaded in ind order took 5.2–5.7 s with them, 6.6 s with the default.
 */
export const CURATED_PARQUET = 'FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, WRITE_BLOOM_FILTER false, DICTIONARY_SIZE_LIMIT 1, ROW_GROUP_SIZE 61440';

/** Write a topic's curated Parquet file of the day to tmpDir (not yet to the lake). */
export async function writeCurated(engine: Engine, topic: RecordType, day: string, tmpDir: string, ordered = false): Promise<CuratedFile> {
  const table = TABLE_OF[topic];
  const file = path.join(tmpDir, `${table}.parquet`);
  const t = DEDUP[topic];
  // flag the superseded rows in place (few), so the copy is a plain scan
  await engine.run(`UPDATE ${t} SET _latest = false WHERE rowid IN (${supersededInDay(t, REPEATED[topic], day)})`);
  // by ind (one row per ind: a total order, so the file is the same whatever order the rows were
  // loaded in); a table loaded in ind order (load.ts, sorted) is copied in its own order
  const select = `SELECT ${curatedFromStage(table)} FROM ${t} WHERE ${dayFilter(day)} AND _latest${ordered ? '' : ' ORDER BY ind'}`;
  const copy = () => engine.all(`COPY (${select}) TO ${sqlString(file)} (${CURATED_PARQUET})`);
  const res = ordered ? await withInsertionOrder(engine, copy) : await copy();
  return { key: `curated/${table}/dt=${day}/part-0.parquet`, file, rows: Number(res[0]?.Count ?? 0) };
}

/** Put the curated files into the lake (each put is atomic). */
export async function publishCurated(lake: Lake, files: CuratedFile[]): Promise<void> {
  for (const f of files) {
    await lake.putFile(f.key, f.file);
  }
}

export interface RealtimeResult {
  metric: RealtimeMetric;
  rows: Row[];
  seconds: number;
}

export interface DayRealtime {
  results: RealtimeResult[];
  unmatchedGeo: number;
  unmatchedUser: number;
}

/** A row of a realtime metric as computed in SQL → as stored (key columns as text, final) */
export function realtimeRow(metric: RealtimeMetric, r: PlainRow): Row {
  const out: Row = { minute: r.minute as string };
  for (const k of metric.keyColumns) out[k] = keyText(r[k] as string | number | boolean | null);
  // an infinite or NaN value (a division by zero) is stored as null, as the stream does
  for (const v of metric.valueColumns) {
    const n = r[v] === null || r[v] === undefined ? null : Number(r[v]);
    out[v] = n === null || !Number.isFinite(n) ? null : n;
  }
  out.final = true;
  return out;
}

/** order of stored rows: minute, then the key texts (a null key, '', first) */
export const byWindowKey =
  (metric: RealtimeMetric) =>
  (a: Row, b: Row): number => {
    if (a.minute !== b.minute) return String(a.minute) < String(b.minute) ? -1 : 1;
    for (const k of metric.keyColumns) {
      const c = compareText(String(a[k]), String(b[k]));
      if (c !== 0) return c;
    }
    return 0;
  };

/**
 * The windows of the realtime metrics over [from, to) from de-duplicated records (the day and its
 * neighbour margins), with the stream's join (src/engine/metrics/realtime.ts).
 */
export async function computeRealtimeRange(engine: Engine, inputs: RealtimeInputs, metrics: RealtimeMetric[]): Promise<DayRealtime> {
  const joined = metrics.filter((m) => m.plan.trigger.startsWith('pin+'));
  const cols = {
    pin: [...new Set(joined.flatMap((m) => m.plan.columns.pin))],
    geo: [...new Set(joined.flatMap((m) => m.plan.columns.geo))],
    user: [...new Set(joined.flatMap((m) => m.plan.columns.user))],
  };
  await engine.run(`CREATE OR REPLACE TEMP TABLE pin_matches AS ${pinMatchesSql(inputs, cols)}`);
  try {
    const results: RealtimeResult[] = [];
    for (const metric of metrics) {
      const t = performance.now();
      const rows = (await engine.all(planSql(metric.plan, inputs, 'pin_matches'))).map((r) => realtimeRow(metric, r)).sort(byWindowKey(metric));
      results.push({ metric, rows, seconds: Math.round(performance.now() - t) / 1000 });
    }
    const [u] = await engine.all(unmatchedSql(inputs, 'pin_matches'));
    return { results, unmatchedGeo: Number(u?.unmatched_geo ?? 0), unmatchedUser: Number(u?.unmatched_user ?? 0) };
  } finally {
    await engine.run('DROP TABLE IF EXISTS pin_matches');
  }
}

/** The realtime metrics' windows of one day, from the de-duplicated records (neighbour margins included). */
export async function computeRealtime(engine: Engine, day: string, joinWindowMs: number, metrics: RealtimeMetric[]): Promise<DayRealtime> {
  const from = Date.parse(`${day}T00:00:00Z`);
  return computeRealtimeRange(engine, { ...DEDUP, joinWindowMs, from, to: from + 86_400_000, repeated: REPEATED }, metrics);
}
